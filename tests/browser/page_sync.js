// Drives headless Chromium through the admin page's Entra ID User Sync
// and Synced Users tabs and prints TAP: an owner saves the Graph
// credentials (the secret never comes back), Test fails with the
// AADSTS error and its hint for a wrong secret and succeeds for the
// right one, the groups picker and the preview come from the Graph
// stand-in, Sync Now shows its result, Synced Users lists the imported
// users; a viewer sees no form; at 390 px nothing scrolls sideways.
// Run by page_sync.py; screenshots go to $ARTIFACTS/11-*.png.
'use strict';

const { spawn } = require('child_process');
const { PAGE, ok, shot, run, signIn, go } = require('./harness');

// Hold the tenant's sync lock (sync.h) in another process, as a running
// sync does, until release() is called: the page must see a sync running.
function holdLock() {
  const code = 'import fcntl, os, sys\n' +
    'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n' +
    'fcntl.lockf(fd, fcntl.LOCK_EX)\nprint("locked", flush=True)\nsys.stdin.read()\n';
  const p = spawn('python3', ['-c', code, process.env.SYNC_LOCK], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    p.stdout.once('data', () => resolve(() => new Promise((done) => {
      p.once('exit', done);
      p.stdin.end();
    })));
  });
}

async function noSideways(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  ok(w <= 390, `at 390 px ${what} does not scroll sideways`, w);
}

async function saveCreds(page, secret) {
  await page.fill('input[name=tenant_id]', 'tenant-1');
  await page.fill('input[name=client_id]', 'client-1');
  await page.fill('input[name=client_secret]', secret);
  return go(page, 'button:has-text("Save credentials")');
}

run(async ({ page }) => {
  // 1. Credentials: saved, the secret never shown again.
  await signIn(page, process.env.ADMIN_NAME);
  await go(page, '#tab-sync');
  ok(await page.isVisible('#creds-none'), 'no credentials at first');
  await shot(page, '11-sync-empty.png');
  await saveCreds(page, 'wrong-secret-42');
  let body = await page.content();
  ok((await page.textContent('#flash')).includes('Credentials saved') &&
    !body.includes('wrong-secret-42') &&
    (await page.inputValue('input[name=client_secret]')) === '',
  'credentials saved, the secret not in the page nor in its field');
  ok((await page.textContent('#creds-stored')).includes('client-1'),
    'the stored ids are shown');

  // 2. Test: AADSTS with its hint, then success.
  await go(page, '#sync-test');
  let msg = await page.textContent('#flash');
  ok(msg.includes('AADSTS7000215') && msg.includes('regenerate the client secret'),
    'Test with a wrong secret: the AADSTS error and its hint', msg);
  await shot(page, '11-sync-test-failed.png');
  await saveCreds(page, 's3cret');
  await go(page, '#sync-test');
  msg = await page.textContent('#flash');
  ok(msg.includes('Test succeeded'), 'Test with the right secret succeeds', msg);
  ok(!(await page.content()).includes('s3cret'), 'the secret is never shown');

  // 3. The groups picker, from Graph.
  await go(page, '#sync-groups');
  const groups = await page.$$eval('#graph-groups td.group', (tds) => tds.map((t) => t.textContent));
  ok(groups.some((g) => g.startsWith('Sales')) && groups.some((g) => g.startsWith('Extra 4')),
    'the groups come from Graph (paged)', groups.join('|'));
  await shot(page, '11-sync-groups.png');

  // 4. The preview.
  await go(page, '#sync-preview');
  const rows = await page.$$eval('#preview-rows tbody tr', (trs) => trs.map((tr) =>
    Array.from(tr.children).map((td) => td.textContent)));
  const alice = rows.find((r) => r[0] === 'alice@example.com');
  const frank = rows.find((r) => r[0] === 'frank@example.com');
  ok(rows.length === 6 && alice && alice[2] === 'Sales, Staff' && alice[3] === 'admin' &&
    alice[4] === 'Create', 'the preview: email, name, groups, role, action', JSON.stringify(rows));
  ok(frank && frank[4].startsWith('Update') && frank[4].includes('managed by SCIM'),
    'a user SCIM manages: Update, "managed by SCIM"', JSON.stringify(frank));
  await shot(page, '11-sync-preview.png');

  // 5. Sync Now; its result.
  await go(page, '#sync-now');
  ok((await page.textContent('#flash')).includes('Sync started'), 'Sync Now starts a sync');
  let done = false;
  for (let i = 0; i < 60 && !done; i++) {
    await page.waitForTimeout(500);
    await page.goto(PAGE + '/sync');
    done = await page.isVisible('#sync-last') && !(await page.isVisible('#sync-running'));
  }
  ok(done && (await page.textContent('#sync-last dd.created')) === '5' &&
    (await page.textContent('#sync-last dd.updated')) === '1' &&
    (await page.textContent('#sync-last dd.failed')) === '0',
  'the last result: created 5, updated 1, failed 0',
  done ? await page.textContent('#sync-last') : 'not done');
  await shot(page, '11-sync-done.png');

  // 5b. While a sync runs: progress, a refresh, and a second click.
  const release = await holdLock();
  await page.goto(PAGE + '/sync');
  ok(await page.isVisible('progress#sync-progress') &&
    (await page.textContent('#sync-running')).includes('of') &&
    await page.locator('meta[http-equiv=refresh]').count() === 1,
  'a running sync: N of M users, a progress bar, the page refreshes itself');
  await shot(page, '11-sync-running.png');
  await go(page, '#sync-now');
  msg = await page.textContent('#flash');
  ok(msg.includes('already running'), 'a second Sync Now says a sync is running', msg);
  await release();

  // 5c. The picker maps a group (onto the Role mappings tab).
  await page.goto(PAGE + '/sync?view=groups');
  await go(page, '#graph-groups tr:has-text("Extra 1") button');
  ok(page.url().endsWith('/roles') &&
    (await page.textContent('#flash')).includes('g-extra-1'),
  'the picker adds a mapping for the group', page.url());

  // 6. Synced Users.
  await go(page, '#tab-synced');
  const names = await page.$$eval('#synced-users td.un', (tds) => tds.map((t) => t.textContent));
  ok(names.join() === 'alice@example.com,bob@example.com,carol@example.com,' +
    'dave@example.com,erin@example.com', 'Synced Users lists the imported users', names.join());
  const carol = await page.textContent('#synced-users tr:nth-child(3)');
  ok(carol.includes('member') && carol.includes('Staff'), 'with role and source groups', carol);
  await shot(page, '11-synced.png');

  // 7. A phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(PAGE + '/sync?view=preview');
  await noSideways(page, 'the sync tab with its preview');
  await shot(page, '11-phone-sync.png');
  await page.goto(PAGE + '/sync?view=groups');
  await noSideways(page, 'the groups picker');
  await page.goto(PAGE + '/synced');
  await noSideways(page, 'the Synced Users tab');
  await shot(page, '11-phone-synced.png');
  await page.setViewportSize({ width: 1280, height: 900 });

  // 8. A viewer: no form.
  await go(page, 'button:has-text("Sign out")');
  await signIn(page, process.env.VIEWER);
  await page.goto(PAGE + '/sync?view=preview');
  const nforms = await page.$$eval('main form', (fs) => fs.length);
  ok(nforms === 0 && await page.isVisible('#sync-viewer') &&
    await page.isVisible('#preview-rows'), 'a viewer sees the status and preview, no form',
  nforms);
  await shot(page, '11-sync-viewer.png');
});
