// Shared by the browser test drivers (admin_page.js, audit_page.js): TAP
// output, headless Chromium (Debian's, through playwright-core) in a
// throw-away profile, the page's dialogs and Content-Security-Policy
// complaints collected, screenshots into $ARTIFACTS, and a time limit.
// browsertest.py starts the server and sets BASE_URL, ARTIFACTS and the
// rest of the environment.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const PAGE = BASE + '/scim-tokens';
const LIMIT_MS = 180000;

let n = 0;
let failed = 0;

// One TAP test point; diag is shown, line by line, when it fails.
function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? '' : 'not '}ok ${n} - ${name}`);
  if (!cond && diag !== undefined) {
    for (const line of String(diag).split('\n')) console.log('# ' + line);
  }
}

// Where the screenshot called name goes.
function artifact(name) {
  return path.join(process.env.ARTIFACTS, name);
}

// A screenshot of the whole page.
async function shot(page, name) {
  await page.screenshot({ path: artifact(name), fullPage: true });
}

// Run test({ ctx, page, dialogs }) in a fresh browser of the given
// viewport, then check that no page broke its CSP; print the plan and
// exit 0 only when every test point passed, within LIMIT_MS.
function run(test, viewport) {
  const timer = setTimeout(() => {
    ok(false, `the browser test finished within ${LIMIT_MS / 1000} s`);
    console.log(`1..${n}`);
    process.exit(1);
  }, LIMIT_MS);

  (async () => {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
        '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      viewport,
    });
    const dialogs = [];
    const cspErrors = [];
    try {
      const page = ctx.pages()[0] || await ctx.newPage();
      page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      });
      await test({ ctx, page, dialogs });
      ok(cspErrors.length === 0, 'the page breaks none of its own CSP rules',
        cspErrors.join('\n'));
    } finally {
      await ctx.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  })().catch((e) => {
    ok(false, 'the browser test ran to its end', e && e.stack ? e.stack : e);
  }).finally(() => {
    clearTimeout(timer);
    console.log(`1..${n}`);
    process.exit(failed ? 1 : 0);
  });
}

// Sign in to the page as name with $ADMIN_PASSWORD (every account of
// the tab tests shares it).
async function signIn(page, name) {
  await page.goto(PAGE);
  await page.fill('#name', name);
  await page.fill('#password', process.env.ADMIN_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

// Click selector and wait for the page it leads to; its response.
async function go(page, selector) {
  const [resp] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return resp;
}

module.exports = { BASE, PAGE, ok, artifact, shot, run, signIn, go };
