// Drives headless Chromium through the Activity tab and held deprovisions
// and prints TAP: the list, its errors filter, one request's detail (body,
// before and after, escaped); a user's history on its Users detail,
// each request linking to its detail; the banner on every tab; a viewer
// sees the held list without buttons; the owner approves one and rejects
// the rest with a reason, and the banner goes; at 390 px nothing scrolls
// sideways.
// Run by page_activity.py; screenshots go to $ARTIFACTS/11-*.png.
'use strict';

const { PAGE, ok, shot, run, signIn, go } = require('./harness');

async function ids(page, table) {
  return page.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => tr.getAttribute('data-id')));
}

async function noSideways(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  ok(w <= 390, `at 390 px ${what} does not scroll sideways`, w);
}

run(async ({ page, dialogs }) => {
  // 1. A viewer: the banner on every tab, the held list without buttons.
  await signIn(page, process.env.VIEWER);
  ok((await page.textContent('#held-banner')).includes('2 deprovisions are held'),
    'the Tokens tab says two deprovisions are held');
  await go(page, '#tab-users');
  ok(await page.locator('#held-banner').count() === 1, 'and so does the Users tab');
  await go(page, '#held-banner a');
  ok((await ids(page, 'heldlist')).length === 2, 'the Held view lists both');
  ok(await page.locator('#held button').count() === 0, 'a viewer gets no buttons');
  await go(page, 'button:has-text("Sign out")');

  // 2. The owner: the Activity tab, its filter, one request.
  await signIn(page, process.env.ADMIN_NAME);
  await go(page, '#tab-activity');
  const all = await ids(page, 'activitylist');
  ok(all.length >= 8, 'the Activity tab lists the requests', all.length);
  ok((await page.textContent('#activitylist')).includes('Microsoft Entra ID'),
    'named by client');
  await shot(page, '11-activity.png');
  await page.selectOption('#activity-filter select[name=errors]', '1');
  await go(page, '#activity-filter button[type=submit]');
  const errs = await ids(page, 'activitylist');
  ok(errs.length >= 1 && errs.length < all.length, 'the errors filter', errs.length);
  await page.goto(PAGE + '/activity?user=' + process.env.ALICE);
  await go(page, '#activitylist tr:has-text("PATCH") td.time a');
  ok((await page.textContent('#act-after')).includes('Alice <i>A</i>') &&
    await page.locator('#act-after i').count() === 0,
  'a request shows the user after it, as text', await page.textContent('#act-after'));
  ok((await page.textContent('#act-before')).includes('alice@contoso.com'),
    'and before it');
  await shot(page, '11-request.png');

  // A user's history, on the Users tab.
  await page.goto(PAGE + '/users?id=' + process.env.ALICE);
  const hist = await ids(page, 'userhistory');
  ok(hist.length >= 3, 'a user\'s detail shows its history: lookup, creation, change',
    hist.length);
  ok(!(await page.textContent('#history')).includes('leaver'), 'and no other user\'s');
  await shot(page, '11-user-history.png');
  await go(page, `#userhistory tr[data-id="${hist[hist.length - 1]}"] td.time a`);
  ok((await page.textContent('#act-id')) === hist[hist.length - 1] &&
    (await page.textContent('#request h2')).startsWith('GET'),
  'its oldest request, the lookup by userName, opens on the Activity tab',
  await page.textContent('#request h2'));

  // 3. A phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await noSideways(page, 'a request\'s detail');
  await shot(page, '11-phone-request.png');
  await page.goto(PAGE + '/users?id=' + process.env.ALICE);
  await noSideways(page, 'a user\'s detail with its history');
  await shot(page, '11-phone-user-history.png');
  for (const [tab, name] of [['/activity', 'Activity'], ['/held', 'Held']]) {
    await page.goto(PAGE + tab);
    await noSideways(page, `the ${name} view`);
  }
  await shot(page, '11-phone-held.png');
  await page.setViewportSize({ width: 1280, height: 900 });

  // 4. Approve one, reject the rest with a reason.
  const held = await ids(page, 'heldlist');
  await go(page, `#heldlist tr[data-id="${held[0]}"] button[value=approve]`);
  ok((await page.textContent('#flash')).includes('Approved 1 operation'), 'Approve');
  ok((await page.textContent('#held-banner')).includes('1 deprovision is held'),
    'one is left');
  await page.fill('#held-all input[name=reason]', 'still employed');
  await go(page, '#held-all button[value=reject]');
  ok((await page.textContent('#flash')).includes('Rejected 1 operation'), 'Reject all');
  ok(await page.locator('#held-banner').count() === 0 &&
    await page.locator('#held button').count() === 0, 'the banner and the buttons go');
  ok(dialogs.length === 0, 'no dialogs');
}, { width: 1280, height: 900 });
