// Drives headless Chromium (Debian's, through playwright-core) through the
// scim-tokens admin page and prints TAP: sign in, create a token and see it
// once, reload and it is gone, use it the way Entra ID does, revoke it and
// see both the status and the requests change, a form posted without its
// CSRF token is refused, a hostile label is shown as text.  Screenshots go
// to $ARTIFACTS.  Run by admin_page.py, which starts the server.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const PAGE = BASE + '/scim-tokens';
const ARTIFACTS = process.env.ARTIFACTS;
const HOSTILE = '<script>alert(1)</script>';
const TOKEN_RE = /^scim_[0-9a-f]{16}_[0-9a-f]{64}$/;

let n = 0;
let failed = 0;

function ok(cond, name, diag) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? '' : 'not '}ok ${n} - ${name}`);
  if (!cond && diag !== undefined) {
    for (const line of String(diag).split('\n')) console.log('# ' + line);
  }
}

// A request the way Entra ID sends it (Test Connection asks for a random
// userName and expects 200 with an empty list).
async function entra(token) {
  const url = BASE + '/scim/v2/Users?filter=' +
    encodeURIComponent('userName eq "probe-8f2c@example.com"');
  const r = await fetch(url, {
    headers: { Authorization: 'Bearer ' + token, Accept: 'application/scim+json' },
  });
  return { status: r.status, body: await r.text() };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  });
  const dialogs = [];
  const cspErrors = [];
  try {
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });

    // 1. The sign-in form.
    let resp = await page.goto(PAGE);
    ok(resp.status() === 200, 'GET /scim-tokens answers 200', resp.status());
    const hdr = resp.headers();
    ok(/default-src 'none'/.test(hdr['content-security-policy'] || ''),
      'a strict Content-Security-Policy is sent', hdr['content-security-policy']);
    ok((hdr['cache-control'] || '').includes('no-store'), 'pages are not cached');
    ok(await page.locator('form input[name=password]').count() === 1,
      'not signed in: the sign-in form is shown');
    await shot(page, '01-sign-in.png');

    // A wrong password is refused on the form.
    await page.fill('#name', process.env.ADMIN_NAME);
    await page.fill('#password', 'wrong password');
    [resp] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    ok(resp.status() === 401 && (await page.textContent('body')).includes('wrong'),
      'a wrong password is refused with 401', resp.status());

    // 2. Sign in.
    await page.fill('#name', process.env.ADMIN_NAME);
    await page.fill('#password', process.env.ADMIN_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    ok((await page.textContent('h1')) === 'Secret Tokens', 'signed in: the token page is shown');
    const cookies = await ctx.cookies(PAGE);
    const sess = cookies.find((c) => c.name === 'scim_admin');
    ok(sess && sess.httpOnly && sess.sameSite === 'Strict',
      'the session cookie is HttpOnly and SameSite=Strict', JSON.stringify(sess));
    const banner = await page.locator('.banner.warn').first().textContent().catch(() => '');
    ok(banner.includes(process.env.NEAR_ID) && /expires in (2|3) days/.test(banner),
      'a banner warns of the token that expires in 3 days', banner);
    ok((await page.inputValue('#tenant-url')) === BASE + '/scim/v2',
      'the Tenant URL for Entra ID is shown', await page.inputValue('#tenant-url'));

    // 3. Create a token whose label is hostile markup.
    await page.fill('input[name=label]', HOSTILE);
    await page.selectOption('form.form-row select[name=days]', '30');
    await Promise.all([page.waitForNavigation(),
      page.click('button[name=action][value=create]')]);
    const field = page.locator('#new-token-value');
    ok(await field.count() === 1, 'the new token is displayed');
    const token = await field.inputValue();
    ok(TOKEN_RE.test(token), 'it has the scim_<id>_<secret> form', token.slice(0, 22));
    const tokenId = token.split('_')[1];
    const copy = page.locator('button[data-copy=new-token-value]');
    ok(await copy.isVisible(), 'the copy button is shown (JavaScript allowed by CSP)');
    await copy.click();
    await page.waitForFunction(() =>
      document.querySelector('button[data-copy=new-token-value]').textContent === 'Copied');
    const clip = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
    ok(clip === token, 'the copy button puts the token on the clipboard');
    const row = page.locator(`tr[data-id="${tokenId}"]`);
    ok((await row.locator('td.label').textContent()) === HOSTILE,
      'the label <script>alert(1)</script> is shown as text');
    ok((await page.content()).includes('&lt;script&gt;alert(1)&lt;/script&gt;'),
      'and is HTML-escaped in the markup');
    ok(dialogs.length === 0, 'no script of the label ran', dialogs.join(', '));
    ok((await row.locator('.badge').textContent()) === 'Active', 'the token is Active');
    await shot(page, '02-new-token-shown-once.png');

    // 4. Entra ID uses it.
    let r = await entra(token);
    ok(r.status === 200 && JSON.parse(r.body).totalResults === 0,
      'an Entra-style request with the token gets 200 and an empty list', r.status + ' ' + r.body);

    // 5. Reload: the token is gone for good.
    resp = await page.reload();
    ok(resp.status() === 200 && await page.locator('#new-token-value').count() === 0,
      'after a reload the token is no longer shown');
    ok(!(await page.content()).includes(token.split('_')[2]),
      'the secret appears nowhere in the page');
    await shot(page, '03-after-reload.png');

    // 6. A form posted without its CSRF token is refused.
    await page.evaluate((id) =>
      document.querySelector(`tr[data-id="${id}"] input[name=csrf]`).remove(), tokenId);
    [resp] = await Promise.all([page.waitForNavigation(),
      page.locator(`tr[data-id="${tokenId}"] button[value=disable]`).click()]);
    ok(resp.status() === 403 && /CSRF/.test(await page.textContent('body')),
      'a form post without the CSRF token is refused with 403', resp.status());
    await shot(page, '04-csrf-refused.png');
    await page.goto(PAGE);
    ok((await page.locator(`tr[data-id="${tokenId}"] .badge`).textContent()) === 'Active',
      'and nothing changed: the token is still Active');

    // 7. Revoke it: the status changes and Entra's requests fail.
    await Promise.all([page.waitForNavigation(),
      page.locator(`tr[data-id="${tokenId}"] button[value=revoke]`).click()]);
    ok((await page.locator(`tr[data-id="${tokenId}"] .badge`).textContent()) === 'Revoked',
      'after Revoke the status reads Revoked');
    ok((await page.textContent('#flash')).includes('revoked'), 'a message confirms it');
    r = await entra(token);
    ok(r.status === 401, 'an Entra-style request with the revoked token gets 401',
      r.status + ' ' + r.body);
    const events = await page.textContent('#events');
    ok(events.includes('token.created') && events.includes('token.revoked'),
      'the recent events show the creation and the revocation');
    await shot(page, '05-revoked.png');

    // 8. A token for the final look of the page, then sign out.
    await page.fill('input[name=label]', 'Entra ID production');
    await Promise.all([page.waitForNavigation(),
      page.click('button[name=action][value=create]')]);
    await shot(page, '06-page.png');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
    ok(await page.locator('form input[name=password]').count() === 1,
      'after signing out the sign-in form is shown');
    resp = await page.goto(PAGE);
    ok(await page.locator('#tokens').count() === 0, 'and the token page is no longer reachable');
    ok(cspErrors.length === 0, 'the page breaks none of its own CSP rules', cspErrors.join('\n'));
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

const timer = setTimeout(() => {
  ok(false, 'the browser test finished within 180 s');
  console.log(`1..${n}`);
  process.exit(1);
}, 180000);

main().catch((e) => {
  ok(false, 'the browser test ran to its end', e && e.stack ? e.stack : e);
}).finally(() => {
  clearTimeout(timer);
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
});
