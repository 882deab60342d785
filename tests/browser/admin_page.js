// Drives headless Chromium (Debian's, through playwright-core) through the
// scim-tokens admin page and prints TAP: sign in, create a token and see it
// once, reload and it is gone, use it the way Entra ID does, revoke it
// (through its confirmation view: the first click and Cancel change
// nothing) and see both the status and the requests change, delete one the
// same way, a form posted without its CSRF token is refused, a hostile
// label is shown as text, renew offers a token's own lifetime and asks
// before shortening it, the page's icon, and the page on a 390 px phone.
// Screenshots go to $ARTIFACTS.  Run by
// admin_page.py, which starts the server.
'use strict';

const { BASE, PAGE, ok, artifact, shot, run } = require('./harness');

const HOSTILE = '<script>alert(1)</script>';
const TOKEN_RE = /^scim_[0-9a-f]{16}_[0-9a-f]{64}$/;

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

// The status badge of token id in the token table.
async function badge(page, id) {
  return page.locator(`tr[data-id="${id}"] .badge`).textContent();
}

// The audit log has its own tab: read it in a second page of the same
// browser (same session), leaving page where it is.
async function onAuditTab(page, fn) {
  const log = await page.context().newPage();
  try {
    await log.goto(PAGE + '/audit');
    return await fn(log);
  } finally {
    await log.close();
  }
}

// How many rows of the audit log are events of type on token id.
async function tokenEvents(page, id, type) {
  return onAuditTab(page, (log) => log.$$eval('#events tbody tr', (trs, [tid, t]) =>
    trs.filter((tr) => tr.querySelector('td.type code').textContent === t &&
    tr.querySelector('td.target').textContent.includes(tid)).length, [id, type]));
}

run(async ({ ctx, page, dialogs }) => {
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });

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

  // 7. Revoke asks first: the first click shows what will happen and
  // changes nothing; Cancel changes nothing; a confirmation without the
  // CSRF token is refused; only the confirmation revokes.
  [resp] = await Promise.all([page.waitForNavigation(),
    page.locator(`tr[data-id="${tokenId}"] button[value=revoke]`).click()]);
  ok(resp.status() === 200 && (await page.textContent('h1')) === 'Revoke this token?',
    'Revoke first shows a confirmation view', resp.status());
  let what = await page.textContent('#confirm-what').catch(() => '');
  ok(what.includes('Entra ID stops provisioning as soon as the token is revoked; ' +
    'this cannot be undone.'), 'it says in plain words what revoking does', what);
  let confirmText = await page.textContent('#confirm');
  ok(confirmText.includes(HOSTILE) && confirmText.includes(tokenId),
    'it names the token by its label (as text) and id', confirmText);
  ok(dialogs.length === 0, 'no script of the label ran there either', dialogs.join(', '));
  ok(await page.locator('#confirm-yes.danger').textContent() === 'Revoke token' &&
    await page.locator('#confirm form input[name=confirm]').inputValue() === 'yes',
  'with a danger button that posts the action with confirm=yes');
  await shot(page, '04a-confirm-revoke.png');
  r = await entra(token);
  ok(r.status === 200, 'the first click changed nothing: Entra\'s requests still work', r.status);
  const other = await ctx.newPage();
  await other.goto(PAGE);
  ok(await badge(other, tokenId) === 'Active' &&
    (await tokenEvents(other, tokenId, 'token.revoked')) === 0,
  'and the token is still listed Active, with no token.revoked event');
  await other.close();
  await Promise.all([page.waitForNavigation(), page.click('#confirm-cancel')]);
  ok(page.url() === PAGE && await badge(page, tokenId) === 'Active' &&
    (await tokenEvents(page, tokenId, 'token.revoked')) === 0,
  'Cancel goes back to the page and changes nothing', page.url());
  r = await entra(token);
  ok(r.status === 200, 'Entra\'s requests still work after Cancel', r.status);
  await Promise.all([page.waitForNavigation(),
    page.locator(`tr[data-id="${tokenId}"] button[value=revoke]`).click()]);
  await page.evaluate(() => document.querySelector('#confirm input[name=csrf]').remove());
  [resp] = await Promise.all([page.waitForNavigation(), page.click('#confirm-yes')]);
  ok(resp.status() === 403 && /CSRF/.test(await page.textContent('body')),
    'a confirmation posted without the CSRF token is refused with 403', resp.status());
  await page.goto(PAGE);
  ok(await badge(page, tokenId) === 'Active', 'and the token is still Active');
  await Promise.all([page.waitForNavigation(),
    page.locator(`tr[data-id="${tokenId}"] button[value=revoke]`).click()]);
  await Promise.all([page.waitForNavigation(), page.click('#confirm-yes')]);
  ok(await badge(page, tokenId) === 'Revoked', 'after confirming, the status reads Revoked');
  ok((await page.textContent('#flash')).includes('revoked'), 'a message confirms it');
  r = await entra(token);
  ok(r.status === 401, 'an Entra-style request with the revoked token gets 401',
    r.status + ' ' + r.body);
  const events = await onAuditTab(page, (log) => log.textContent('#events'));
  ok(events.includes('token.created') && events.includes('token.revoked'),
    'the recent events show the creation and the revocation');
  ok(await tokenEvents(page, tokenId, 'token.revoked') === 1,
    'one token.revoked event: none for the confirmation views');
  await shot(page, '05-revoked.png');

  // 7b. Delete asks first too: an active token, Cancel, then confirm.
  await page.fill('input[name=label]', 'Entra ID test tenant');
  await Promise.all([page.waitForNavigation(),
    page.click('button[name=action][value=create]')]);
  const doomed = await page.inputValue('#new-token-value');
  const doomedId = doomed.split('_')[1];
  await Promise.all([page.waitForNavigation(),
    page.locator(`tr[data-id="${doomedId}"] button[value=delete]`).click()]);
  what = await page.textContent('#confirm-what').catch(() => '');
  ok((await page.textContent('h1')) === 'Delete this token?' &&
    what.includes('Entra ID stops provisioning as soon as the token is deleted; ' +
      'this cannot be undone.'), 'Delete first shows a confirmation view in plain words', what);
  confirmText = await page.textContent('#confirm');
  ok(confirmText.includes('Entra ID test tenant') && confirmText.includes(doomedId),
    'naming the token by its label and id', confirmText);
  await shot(page, '05a-confirm-delete.png');
  r = await entra(doomed);
  ok(r.status === 200, 'the first click changed nothing: the token still works', r.status);
  await Promise.all([page.waitForNavigation(), page.click('#confirm-cancel')]);
  ok(await badge(page, doomedId) === 'Active' &&
    (await tokenEvents(page, doomedId, 'token.deleted')) === 0,
  'Cancel: the token is still listed Active, with no token.deleted event');
  await Promise.all([page.waitForNavigation(),
    page.locator(`tr[data-id="${doomedId}"] button[value=delete]`).click()]);
  await Promise.all([page.waitForNavigation(), page.click('#confirm-yes')]);
  ok(await page.locator(`tr[data-id="${doomedId}"]`).count() === 0 &&
    (await page.textContent('#flash')).includes('deleted'),
  'after confirming, the token is gone from the list');
  r = await entra(doomed);
  ok(r.status === 401, 'and an Entra-style request with it gets 401', r.status);
  ok(await tokenEvents(page, doomedId, 'token.deleted') === 1,
    'one token.deleted event');

  // 8. A token for the final look of the page: a year long, and renew
  // keeps it a year unless asked otherwise.
  await page.fill('input[name=label]', 'Entra ID production');
  await page.selectOption('form.form-row select[name=days]', '365');
  await Promise.all([page.waitForNavigation(),
    page.click('button[name=action][value=create]')]);
  const prodId = (await page.inputValue('#new-token-value')).split('_')[1];
  let flash = await page.textContent('#flash');
  ok(flash.includes(`Token "Entra ID production" (${prodId}) created`) &&
    /expires on \d{4}-\d\d-\d\d \d\d:\d\d UTC, in 365 days/.test(flash),
  'the message names the token by label and id, and its expiry', flash);
  const prodRow = page.locator(`tr[data-id="${prodId}"]`);
  ok(await prodRow.locator('select[name=days]').inputValue() === '365',
    'its row offers its own lifetime, 365 days, for renew',
    await prodRow.locator('select[name=days]').inputValue());
  const expiresBefore = await prodRow.locator('td.expires').textContent();
  await prodRow.locator('select[name=days]').selectOption('90');
  [resp] = await Promise.all([page.waitForNavigation(),
    prodRow.locator('button[value=renew]').click()]);
  what = await page.textContent('#confirm-what').catch(() => '');
  ok(resp.status() === 200 && (await page.textContent('h1')) === 'Shorten this token\'s life?' &&
    what.includes('Its expiry moves earlier'),
  'renewing it for 90 days asks first: its expiry would move earlier', what);
  await shot(page, '06a-confirm-shorter-renew.png');
  await Promise.all([page.waitForNavigation(), page.click('#confirm-cancel')]);
  ok(await page.locator(`tr[data-id="${prodId}"] td.expires`).textContent() === expiresBefore,
    'Cancel leaves its expiry as it was');
  await Promise.all([page.waitForNavigation(),
    page.locator(`tr[data-id="${prodId}"] button[value=renew]`).click()]);
  flash = await page.textContent('#flash');
  ok(flash.includes(`Token "Entra ID production" (${prodId}) renewed: it now expires on`),
    'renewing with its own lifetime needs no question, and names the new expiry', flash);

  // 9. The page's icon is its own, not the web server root's.
  const icon = await page.getAttribute('link[rel=icon]', 'href');
  const iconResp = await page.request.get(new URL(icon, PAGE).href);
  ok(icon === '/scim-tokens/favicon.ico' && iconResp.status() === 200 &&
    iconResp.headers()['content-type'] === 'image/x-icon',
  'the page links its icon under its own path, which answers 200', icon + ' ' + iconResp.status());
  await shot(page, '06-page.png');

  // 10. On a phone (390 px): no sideways scrolling, every action button
  // shows its label inside the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  ok(width <= 390, 'at 390 px the page does not scroll sideways', width);
  const buttons = await page.$$eval('#tokens td.actions button', (bs) => bs.map((b) => {
    const r = b.getBoundingClientRect();
    return { text: b.innerText.trim(), left: r.left, right: r.right, h: r.height,
      clipped: b.scrollWidth > b.clientWidth + 1 };
  }));
  const bad = buttons.filter((b) => b.text === '' || b.clipped || b.h === 0 ||
    b.left < 0 || b.right > 390);
  ok(buttons.length >= 5 && bad.length === 0,
    `every action button (${buttons.length}) shows its label within the screen`,
    JSON.stringify(bad));
  const labels = await page.$$eval(`tr[data-id="${prodId}"] td[data-label]`, (tds) =>
    tds.map((td) => getComputedStyle(td, '::before').content));
  ok(labels.includes('"Expires At"') && labels.includes('"Last Used"'),
    'each value is shown under its column\'s name', labels.join(' '));
  await shot(page, '08-phone.png');
  await page.screenshot({ path: artifact('08a-phone-top.png') });
  await page.locator('#tokens').screenshot({ path: artifact('08b-phone-tokens.png') });
  await onAuditTab(page, async (log) => {
    await log.setViewportSize({ width: 390, height: 844 });
    await log.reload();
    await log.locator('#audit').screenshot({ path: artifact('08d-phone-audit.png') });
  });
  await page.locator(`tr[data-id="${prodId}"] select[name=days]`).selectOption('30');
  await Promise.all([page.waitForNavigation(),
    page.locator(`tr[data-id="${prodId}"] button[value=renew]`).click()]);
  ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390,
    'the confirmation view fits the phone too');
  await shot(page, '08c-phone-confirm.png');
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto(PAGE);
  await Promise.all([page.waitForNavigation(), page.click('button:has-text("Sign out")')]);
  ok(await page.locator('form input[name=password]').count() === 1,
    'after signing out the sign-in form is shown');
  resp = await page.goto(PAGE);
  ok(await page.locator('#tokens').count() === 0, 'and the token page is no longer reachable');
}, { width: 1280, height: 860 });
