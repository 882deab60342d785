// Drives headless Chromium through the admin page's tabs and prints TAP:
// an owner adds, moves and deletes role mappings with plain forms; a
// viewer sees the mappings but no form; the Users tab searches, filters
// and pages, with each user's last change; a user's detail names its role and the mapping that gave
// it; the Groups tab pages a group's members; at 390 px nothing scrolls
// sideways.  Run by page_tabs.py; screenshots go to $ARTIFACTS/10-*.png.
'use strict';

const { PAGE, ok, shot, run, signIn, go } = require('./harness');

const USERS = Number(process.env.USERS);
const MEMBERS = Number(process.env.MEMBERS);

async function mappingGroups(page) {
  return page.$$eval('#mappings tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-group')));
}

async function userNames(page) {
  return page.$$eval('#userlist tbody tr td.un', (tds) => tds.map((td) => td.textContent));
}

async function noSideways(page, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  ok(w <= 390, `at 390 px ${what} does not scroll sideways`, w);
}

run(async ({ ctx, page, dialogs }) => {
  // 1. The owner: tabs across the top; add three mappings.
  await signIn(page, process.env.ADMIN_NAME);
  const tabs = await page.$$eval('nav.tabs a', (as) => as.map((a) => a.textContent));
  ok(tabs.join('|') === 'Tokens|Role mappings|Users|Groups|Entra ID User Sync|Synced Users|Audit log|Activity',
    'eight tabs across the top', tabs.join('|'));
  await go(page, '#tab-roles');
  ok((await page.textContent('#roles-rule')).includes('first matching mapping wins'),
    'the Role mappings tab says what a mapping does');
  const add = async (group, role, products, position) => {
    await page.fill('#mapping-add input[name=group]', group);
    await page.selectOption('select[name=role]', role);
    await page.fill('input[name=products]', products);
    await page.fill('input[name=position]', position);
    return go(page, 'button:has-text("Add mapping")');
  };
  await add('obj-browser-admins', 'admin', '', '');
  await add('Sales', 'member', 'crm,billing', '');
  await add('Owners', 'owner', '', '1');
  ok((await mappingGroups(page)).join(',') === 'Owners,obj-browser-admins,Sales',
    'the owner adds mappings, one at position 1', (await mappingGroups(page)).join(','));
  await shot(page, '10-roles.png');
  await go(page, 'tr[data-group="Owners"] button[value=down]');
  ok((await mappingGroups(page)).join(',') === 'obj-browser-admins,Owners,Sales' &&
    (await page.textContent('#flash')).includes('moved to position 2'),
  'Move down moves it one place', (await mappingGroups(page)).join(','));
  await go(page, 'tr[data-group="Sales"] button[value=up]');
  ok((await mappingGroups(page)).join(',') === 'obj-browser-admins,Sales,Owners',
    'Move up too');
  ok(await page.locator('tr[data-group="obj-browser-admins"] button[value=up]').isDisabled(),
    'the first cannot move up');
  await go(page, 'tr[data-group="Owners"] button[value=delete]');
  ok((await mappingGroups(page)).join(',') === 'obj-browser-admins,Sales',
    'Delete removes it');
  const resp = await add('X', 'admin', 'crm', '');
  ok(resp.status() === 200 && /member/.test(await page.textContent('#flash')),
    'products on a non-member mapping: a clear message', await page.textContent('#flash'));

  // 2. Users: paged, searched, filtered; a user's detail.
  await go(page, '#tab-users');
  let names = await userNames(page);
  ok(names.length === 50 && names[0] === 'member00@example.com', 'the Users tab shows 50 users',
    names.length);
  const changed = await page.$$eval('#userlist td.lc', (tds) => tds.map((td) => td.textContent));
  ok(changed.length === 50 && changed.every((t) => /^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(t)),
    'each row says when the user last changed', changed.slice(0, 3).join(' '));
  await shot(page, '10-users.png');
  await go(page, '#users a.next');
  const more = await userNames(page);
  ok(more.length === USERS - 50 && !more.some((n) => names.includes(n)),
    'Next shows the rest, no overlap', more.join(' '));
  await go(page, '#users a.prev');
  ok((await userNames(page))[0] === 'member00@example.com', 'Previous goes back');
  await page.fill('#users-filter input[name=q]', 'MEMBER1');
  await go(page, '#users-filter button[type=submit]');
  names = await userNames(page);
  ok(names.length === 10 && names.every((n) => n.startsWith('member1')),
    'search by the start of the userName, any case', names.join(' '));
  await page.fill('#users-filter input[name=q]', '');
  await page.selectOption('#users-filter select[name=status]', 'blocked');
  await go(page, '#users-filter button[type=submit]');
  names = await userNames(page);
  ok(names.join() === 'member05@example.com', 'the status filter', names.join());
  await page.selectOption('#users-filter select[name=status]', '');
  await page.selectOption('#users-filter select[name=role]', 'admin');
  await go(page, '#users-filter button[type=submit]');
  names = await userNames(page);
  ok(names.length === 50 && names.every((n) => n < 'member55'),
    'the role filter: admin, the mapped group\'s members', names.length);
  await page.selectOption('#users-filter select[name=role]', 'member');
  await go(page, '#users-filter button[type=submit]');
  names = await userNames(page);
  ok(names.length === USERS - MEMBERS && names.every((n) => n >= 'member55'),
    'role member: the others, by [roles] default', names.join(' '));
  await page.goto(PAGE + '/users?q=member03');
  await go(page, 'td.un a');
  const role = await page.textContent('#user-role');
  ok(role.includes('admin') && role.includes('obj-browser-admins'),
    'a user\'s detail names its role and the mapping that gave it', role);
  ok((await page.textContent('#user-managed')).includes('scim') &&
    (await page.textContent('#events')).includes('scim.user.provisioned'),
  'its manager and its audit events');
  await shot(page, '10-user.png');

  // 3. Groups: member counts, members paged.
  await go(page, '#tab-groups');
  ok((await page.textContent(`#grouplist tr[data-id="${process.env.GROUP_ID}"] td.mc`)) ===
    String(MEMBERS), 'the Groups tab counts the members');
  await shot(page, '10-groups.png');
  await go(page, `#grouplist tr[data-id="${process.env.GROUP_ID}"] a`);
  ok(await page.locator('#members li').count() === 50, 'a group shows 50 members a page');
  await shot(page, '10-group.png');
  await go(page, '#group a.next');
  ok(await page.locator('#members li').count() === MEMBERS - 50, 'and the rest on the next');

  // 4. A phone.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [tab, name] of [['/roles', 'Role mappings'], ['/users', 'Users'],
    ['/groups', 'Groups'], ['/audit', 'Audit log'], ['', 'Tokens']]) {
    await page.goto(PAGE + tab);
    await noSideways(page, `the ${name} tab`);
  }
  await page.goto(PAGE + '/users?id=' + process.env.USER3);
  await noSideways(page, 'a user\'s detail');
  await shot(page, '10-phone-user.png');
  await page.goto(PAGE + '/roles');
  await shot(page, '10-phone-roles.png');
  await page.goto(PAGE + '/users');
  await page.screenshot({ path: process.env.ARTIFACTS + '/10-phone-users.png' });
  await page.setViewportSize({ width: 1280, height: 900 });

  // 5. A viewer sees the mappings, no form.
  await go(page, 'button:has-text("Sign out")');
  await signIn(page, process.env.VIEWER);
  await page.goto(PAGE + '/roles');
  ok((await mappingGroups(page)).length === 2 &&
    await page.locator('#mapping-add').count() === 0 &&
    await page.locator('#mappings button').count() === 0,
  'a viewer sees the mappings but no add form and no buttons');
  ok(dialogs.length === 0, 'no dialogs');
}, { width: 1280, height: 900 });
