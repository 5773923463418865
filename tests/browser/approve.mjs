// Signs in to the scopegate dashboard in headless Chromium, finds the
// pending request for an operation (volumeDelete by default), approves it
// with a note (typing what it destroys when the page asks), waits for the
// provider's result on the page, and saves a screenshot of each step.
//
//   node approve.mjs --url http://127.0.0.1:9091 --user alice --password demo-password --out shots
//
// Options (or environment variables):
//   --url        DASHBOARD_URL        the dashboard's address
//   --user       DASHBOARD_USER
//   --password   DASHBOARD_PASSWORD
//   --out        SCREENSHOT_DIR       where the PNGs go (created)
//   --operation  OPERATION            default volumeDelete
//   --note       NOTE                 default "approved by the browser test"
//   --wait       WAIT_SECS            how long the request may take to show up (default 30)
//   --chromium   CHROMIUM             default /usr/bin/chromium
//   --width      WIDTH                the viewport's width (default 1280; 390 is a phone)
//   --confirm    CONFIRM              what the page must ask to be typed before approving
//                                    (the resource's name or id); it is typed, after an
//                                    approve without it is shown to be refused
//   --result     RESULT               text the decision's "What happened" must come to show
//                                    (the provider's answer), waited for up to 20 s
//   --expect     EXPECT               texts the card's blast radius must show,
//                                    separated by `|` (names, the backups warning);
//                                    checked on the queue's card and the detail page,
//                                    each also shot at a phone's width (*-phone.png)
//
// Prints one JSON line ({"approval": "...", "state": "approved", ...}) and
// exits 0 on success; on failure saves failure.png and exits 1. Any console
// error (a Content-Security-Policy violation, say) is a failure too.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function option(name, env, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (process.env[env]) return process.env[env];
  if (fallback === undefined) {
    console.error(`approve.mjs: --${name} (or ${env}) is required`);
    process.exit(2);
  }
  return fallback;
}

const url = option('url', 'DASHBOARD_URL').replace(/\/+$/, '');
const user = option('user', 'DASHBOARD_USER');
const password = option('password', 'DASHBOARD_PASSWORD');
const out = option('out', 'SCREENSHOT_DIR');
const operation = option('operation', 'OPERATION', 'volumeDelete');
const note = option('note', 'NOTE', 'approved by the browser test');
const waitMs = Number(option('wait', 'WAIT_SECS', '30')) * 1000;
const executablePath = option('chromium', 'CHROMIUM', '/usr/bin/chromium');
const expected = option('expect', 'EXPECT', '').split('|').filter((t) => t.length > 0);
const width = Number(option('width', 'WIDTH', '1280'));
const confirm = option('confirm', 'CONFIRM', '');
const result = option('result', 'RESULT', '');

// The blast radius shown in `scope` holds every expected text; then a shot
// of the page at a phone's width.
async function checkBlast(page, scope, name) {
  if (!expected.length) return;
  const blast = (await scope.locator('.blast').first().textContent({ timeout: 5000 })) || '';
  const missing = expected.filter((t) => !blast.includes(t));
  if (missing.length) throw new Error(`${name}: the blast radius lacks ${JSON.stringify(missing)}: ${blast}`);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, `${name}-phone.png`);
  await page.setViewportSize(size);
}

mkdirSync(out, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(out, name), fullPage: true });

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const consoleErrors = [];
let page;
try {
  const context = await browser.newContext({ viewport: { width, height: width < 600 ? 844 : 860 } });
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // 1. Sign in (the dashboard sends strangers to /login).
  await page.goto(`${url}/`);
  await page.waitForURL(/\/login/);
  await shot(page, '01-sign-in.png');
  await page.getByLabel('Name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('domcontentloaded');
  if (page.url().includes('/login')) {
    throw new Error(`sign-in failed: ${await page.locator('[role=alert]').textContent().catch(() => '?')}`);
  }

  // 2. The pending queue; the request may arrive while we watch (live updates).
  const card = page.locator('article.approval').filter({ hasText: `:${operation}` }).first();
  await card.waitFor({ timeout: waitMs });
  await page.locator('#live:not([hidden])').waitFor({ timeout: 5000 }).catch(() => {});
  await shot(page, '02-pending-queue.png');
  await checkBlast(page, card, '02-pending-queue');
  const id = await card.getAttribute('data-id');
  const summary = (await card.locator('.summary').textContent()).trim();

  // 3. Its detail: what was asked, by whom, the rule, the GraphQL document.
  await card.locator('a.title').click();
  await page.waitForURL(/\/approvals\//);
  await page.locator('h1.detail-title').waitFor();
  await shot(page, '03-request-detail.png');
  await checkBlast(page, page, '03-request-detail');

  // 4. Approve with a note, typing what it destroys when asked.
  await page.getByLabel(/Note/).fill(note);
  const approve = page.getByRole('button', { name: /^Approve/ });
  const asks = await page.locator('.confirm-phrase').count();
  if (asks && !confirm) throw new Error(`the page asks to type ${await page.locator('.confirm-phrase').textContent()} to approve; pass --confirm`);
  if (confirm) {
    const asked = (await page.locator('.confirm-phrase').textContent({ timeout: 5000 })).trim();
    if (asked !== confirm) throw new Error(`the page asks to type ${JSON.stringify(asked)}, not ${JSON.stringify(confirm)}`);
    // Without it, the approval is not sent.
    await approve.click();
    await page.waitForTimeout(300);
    if (page.url().includes('done=')) throw new Error('approved without the typed confirmation');
    await page.getByLabel(/to approve/).fill(confirm);
    await shot(page, '04-confirm-typed.png');
  }
  await approve.click();
  await page.waitForURL(/done=approved/);
  let state = await page.locator('h1.detail-title').getAttribute('data-state');
  // `used`: the held request was waiting and has already gone through.
  if (state !== 'approved' && state !== 'used') throw new Error(`after approving, the state is ${state}`);
  // What happened: the provider's answer, once the release is recorded.
  let happened = '';
  const until = Date.now() + 20000;
  while (result) {
    happened = ((await page.locator('.what-happened').textContent().catch(() => '')) || '').trim();
    if (happened.includes(result) || Date.now() > until) break;
    await page.waitForTimeout(500);
    await page.reload();
  }
  if (result && !happened.includes(result)) throw new Error(`"What happened" says ${JSON.stringify(happened)}, not ${JSON.stringify(result)}`);
  state = await page.locator('h1.detail-title').getAttribute('data-state');
  await shot(page, '04-approved.png');

  // 5. The queue no longer lists it.
  await page.goto(`${url}/`);
  await page.locator(`article.approval[data-id="${id}"]`).waitFor({ state: 'detached', timeout: 5000 });
  await shot(page, '05-queue-after.png');

  if (consoleErrors.length) throw new Error(`console errors: ${consoleErrors.join(' | ')}`);
  console.log(JSON.stringify({ approval: id, state, operation, summary, what_happened: happened, width, screenshots: out }));
  await browser.close();
} catch (e) {
  if (page) await shot(page, 'failure.png').catch(() => {});
  await browser.close().catch(() => {});
  console.error(`approve.mjs: ${e && e.message ? e.message : e}`);
  if (consoleErrors.length) console.error(`console errors: ${consoleErrors.join(' | ')}`);
  process.exit(1);
}
