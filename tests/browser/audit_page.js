// Drives headless Chromium (Debian's, through playwright-core) through the
// audit log view of the scim-tokens admin page and prints TAP: the filter
// by category shows only that category, the filter by target only that
// user's events, since/until narrow by time, the log is paged 25 at a time
// with no overlap, a bad filter value is a notice, not an error, and Clear
// resets it all.  Run by audit_page.py, which starts the server and makes
// the events; the screenshot goes to $ARTIFACTS/07-audit-log.png.
'use strict';

const { PAGE, ok, artifact, run } = require('./harness');

const USERS = Number(process.env.USERS);
const PER_PAGE = 25;

// The rows of the log on the page: id, category, type, target text.
async function rows(page) {
  return page.$$eval('#events tbody tr', (trs) => trs.map((tr) => ({
    id: tr.getAttribute('data-id'),
    category: tr.getAttribute('data-category'),
    type: tr.querySelector('td.type code').textContent,
    target: tr.querySelector('td.target').textContent,
    text: tr.textContent,
  })));
}

function day(offset) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

// Fill the filter form and submit it (a plain GET form).
async function filter(page, { category = '', target = '', since = '', until = '' }) {
  await page.selectOption('#audit-filter select[name=category]', category);
  await page.fill('#audit-filter input[name=target]', target);
  await page.fill('#audit-filter input[name=since]', since);
  await page.fill('#audit-filter input[name=until]', until);
  const [resp] = await Promise.all([page.waitForNavigation(),
    page.click('#audit-filter button[type=submit]')]);
  return resp;
}

run(async ({ page, dialogs }) => {
  // 1. A failed sign-in (an admin event), then sign in as the owner.
  await page.goto(PAGE);
  await page.fill('#name', process.env.ADMIN_NAME);
  await page.fill('#password', 'not the password');
  let [resp] = await Promise.all([page.waitForNavigation(),
    page.click('button[type=submit]')]);
  ok(resp.status() === 401, 'a wrong password is refused', resp.status());
  await page.fill('#name', process.env.ADMIN_NAME);
  await page.fill('#password', process.env.ADMIN_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  // The log has its own tab now.
  await Promise.all([page.waitForNavigation(), page.click('#tab-audit')]);
  ok(await page.locator('#audit-filter').count() === 1,
    'signed in: the page shows the audit log with its filter form');

  // 2. No filter: the newest page of every category.
  let all = await rows(page);
  ok(all.length === PER_PAGE, `the log shows ${PER_PAGE} events per page`, all.length);
  ok(await page.locator('#audit a.older').count() === 1,
    'and a link to the older events');
  ok(await page.locator('#audit a.newest').count() === 0,
    'but none to the newest: this is the newest page');
  const ids = all.map((r) => r.id);
  ok(ids.every((id, i) => i === 0 || ids[i - 1] > id), 'newest first', ids.join(' '));

  // 3. Category SCIM only, then its older page.
  resp = await filter(page, { category: 'scim' });
  ok(resp.status() === 200 && page.url().includes('category=scim'),
    'filtering by category is a GET with category=scim', page.url());
  const p1 = await rows(page);
  ok(p1.length === PER_PAGE && p1.every((r) => r.category === 'scim' &&
    r.type.startsWith('scim.')), 'category SCIM shows only scim.* events',
  p1.map((r) => r.type).join(' '));
  ok(await page.inputValue('#audit-filter select[name=category]') === 'scim',
    'the form keeps the chosen category');
  await Promise.all([page.waitForNavigation(), page.click('#audit a.older')]);
  ok(page.url().includes('category=scim') && /before=[0-9a-f]{24}/.test(page.url()),
    'the older page keeps the filter and starts before the last id', page.url());
  const p2 = await rows(page);
  ok(p2.length === USERS + 1 - PER_PAGE && p2.every((r) => r.category === 'scim'),
    `the older page holds the other ${USERS + 1 - PER_PAGE} SCIM events`,
    p2.map((r) => r.type).join(' '));
  const seen = new Set(p1.map((r) => r.id));
  ok(p2.every((r) => !seen.has(r.id)) && p2[0].id < p1[p1.length - 1].id,
    'with no overlap, all older than the first page');
  ok(await page.locator('#audit a.older').count() === 0,
    'and no older page after the last one');
  await Promise.all([page.waitForNavigation(), page.click('#audit a.newest')]);
  ok((await rows(page))[0].id === p1[0].id && page.url().includes('category=scim') &&
    !page.url().includes('before='), '"Newest" goes back to the first page, filter kept',
  page.url());

  // 4. One user's events, by name and by id.
  const name = process.env.TARGET_NAME;
  const uid = process.env.TARGET_ID;
  await filter(page, { target: name });
  let t = await rows(page);
  ok(t.length === 2 && t.every((r) => r.target.includes(name) && r.target.includes(uid)),
    'the target filter by name shows only that user\'s events',
    t.map((r) => r.type + ' ' + r.target).join('\n'));
  ok(t.map((r) => r.type).join(',') === 'scim.user.deprovisioned,scim.user.provisioned',
    'its provisioning and deprovisioning', t.map((r) => r.type).join(','));
  await filter(page, { target: uid });
  t = await rows(page);
  ok(t.length === 2 && t.every((r) => r.target.includes(uid)),
    'the target filter by id shows the same events', t.length);

  // 5. The other categories.
  await filter(page, { category: 'tokens' });
  t = await rows(page);
  ok(t.length > 0 && t.every((r) => r.type.startsWith('token.')) &&
    t.some((r) => r.type === 'token.revoked'), 'category Tokens shows token.* events',
  t.map((r) => r.type).join(' '));
  await filter(page, { category: 'admin' });
  t = await rows(page);
  ok(t.some((r) => r.type === 'admin.login_failed') && t.some((r) => r.type === 'admin.login') &&
    t.every((r) => r.type.startsWith('admin.')),
  'category Admin shows the failed and the good sign-in', t.map((r) => r.type).join(' '));
  await filter(page, { category: 'auth' });
  t = await rows(page);
  ok(t.length === 1 && t[0].type === 'auth.failed' &&
    t[0].target.includes(process.env.STALE_ID) && t[0].text.includes('(no tenant)'),
  'category Auth shows the refused request of the revoked token (owners)',
  t.map((r) => r.text).join('\n'));

  // 6. Time: until yesterday nothing, since today everything, since
  // tomorrow nothing; with a category too.
  await filter(page, { until: day(-1) });
  ok(await page.locator('#events').count() === 0 &&
    (await page.textContent('#audit-empty')).includes('No event matches'),
  'until yesterday: no events');
  await filter(page, { category: 'scim', since: day(0), until: day(0) });
  t = await rows(page);
  ok(t.length === PER_PAGE && t.every((r) => r.category === 'scim'),
    'since and until today: today\'s SCIM events', t.length);
  ok(await page.inputValue('#audit-filter input[name=since]') === day(0),
    'the form keeps the dates');
  await filter(page, { since: day(1) });
  ok(await page.locator('#events').count() === 0, 'since tomorrow: no events');

  // 7. Bad values are notices, not error pages; values are escaped.
  resp = await page.goto(PAGE + '?category=bogus&since=yesterday&before=xyz');
  const notice = await page.textContent('#audit-notice').catch(() => '');
  ok(resp.status() === 200 && notice.includes('bogus') && notice.includes('yesterday') &&
    notice.includes('xyz'), 'unknown category, bad date and bad position are explained',
  resp.status() + ' ' + notice);
  ok((await rows(page)).length === PER_PAGE, 'and ignored: the newest events are shown');
  const hostile = '<img src=x onerror=alert(1)>';
  resp = await page.goto(PAGE + '?target=' + encodeURIComponent(hostile) +
    '&category=' + encodeURIComponent('"><script>alert(2)</script>'));
  ok(resp.status() === 200 &&
    await page.inputValue('#audit-filter input[name=target]') === hostile &&
    (await page.content()).includes('&lt;script&gt;alert(2)'),
  'hostile filter values are shown as text');
  ok(dialogs.length === 0, 'and no script of theirs ran', dialogs.join(', '));

  // 8. Clear resets the filters.
  await filter(page, { category: 'auth', target: process.env.STALE_ID });
  await Promise.all([page.waitForNavigation(), page.click('#audit-clear')]);
  all = await rows(page);
  ok(!page.url().includes('?') &&
    await page.inputValue('#audit-filter select[name=category]') === '' &&
    await page.inputValue('#audit-filter input[name=target]') === '',
  'Clear empties the form', page.url());
  ok(all.length === PER_PAGE && new Set(all.map((r) => r.category)).size > 1,
    'and shows every category again', all.map((r) => r.category).join(' '));
  await page.locator('#audit').screenshot({ path: artifact('07-audit-log.png') });
}, { width: 1280, height: 900 });
