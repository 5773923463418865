// Signs in to the scopegate dashboard in headless Chromium and visits each
// given page at a phone width (390x844) and a desktop width (1280x800). On
// every page it checks that nothing overflows sideways:
// document.documentElement.scrollWidth <= window.innerWidth <= the width
// asked for (a phone widens its layout viewport to fit a page), with neither
// <html> nor <body> hiding the overflow (a wide table must sit in its own
// scrolling wrapper, or stack). Saves a full-page screenshot of each, as
// phone-01-queue.png, desktop-05-history.png, ... (numbered in --pages order;
// 00 is the sign-in page).
//
//   node widths.mjs --url http://127.0.0.1:9091 --user alice --password demo-password \
//     --pages /,/approvals/apr_1,/approvals,/history,/tokens,/health --out shots
//
// Options (or environment variables):
//   --url        DASHBOARD_URL        the dashboard's address
//   --user       DASHBOARD_USER
//   --password   DASHBOARD_PASSWORD
//   --pages      PAGES                comma-separated paths, visited signed in
//   --out        SCREENSHOT_DIR       where the PNGs go (created)
//   --chromium   CHROMIUM             default /usr/bin/chromium
//   --expect     EXPECT               PATH=TEXT|PATH=TEXT...: text each page must
//                                     show (its innerText), at each width
//
// Prints one JSON line per page and width ({"path": "/", "width": 390,
// "scrollWidth": 390, "ok": true}) and exits 0 when every page fits; 1 (after
// printing every result) when one does not, or on any other failure.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

function option(name, env, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (process.env[env]) return process.env[env];
  if (fallback === undefined) {
    console.error(`widths.mjs: --${name} (or ${env}) is required`);
    process.exit(2);
  }
  return fallback;
}

const url = option('url', 'DASHBOARD_URL').replace(/\/+$/, '');
const user = option('user', 'DASHBOARD_USER');
const password = option('password', 'DASHBOARD_PASSWORD');
const pages = option('pages', 'PAGES').split(',').filter(Boolean);
const out = option('out', 'SCREENSHOT_DIR');
const executablePath = option('chromium', 'CHROMIUM', '/usr/bin/chromium');
const expects = option('expect', 'EXPECT', '').split('|').filter(Boolean).map((e) => {
  const i = e.indexOf('=');
  return [e.slice(0, i), e.slice(i + 1)];
});
const viewports = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 },
];

mkdirSync(out, { recursive: true });
const slug = (path) => path.replace(/^\/+/, '').replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40) || 'queue';

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let failed = 0;
let page;
try {
  for (const vp of viewports) {
    const context = await browser.newContext({
      viewport: { width: vp.width, height: vp.height },
      isMobile: vp.name === 'phone',
      hasTouch: vp.name === 'phone',
    });
    page = await context.newPage();
    await page.goto(`${url}/login`);
    await check(page, vp, '/login', 0);
    await page.getByLabel('Name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('domcontentloaded');
    if (page.url().includes('/login')) throw new Error('sign-in failed');
    for (const [i, path] of pages.entries()) {
      const res = await page.goto(`${url}${path}`);
      if (!res || res.status() >= 400 && path !== '/health') {
        throw new Error(`${path} answered ${res ? res.status() : 'nothing'}`);
      }
      if (page.url().includes('/login')) throw new Error(`${path} sent us to sign in`);
      await check(page, vp, path, i + 1);
      await expectText(page, vp, path);
    }
    await context.close();
  }
  await browser.close();
} catch (e) {
  if (page) await page.screenshot({ path: join(out, 'failure.png'), fullPage: true }).catch(() => {});
  await browser.close().catch(() => {});
  console.error(`widths.mjs: ${e && e.message ? e.message : e}`);
  process.exit(1);
}
process.exit(failed ? 1 : 0);

// Each text --expect names for this page must be on it: a missing one is
// a failed line ({"path": ..., "missing": ..., "ok": false}).
async function expectText(page, vp, path) {
  const shown = await page.evaluate(() => document.body.innerText.replace(/\s+/g, ' '));
  for (const [p, text] of expects) {
    if (p !== path || shown.includes(text)) continue;
    failed += 1;
    console.log(JSON.stringify({ path, viewport: vp.name, width: vp.width, missing: text, ok: false }));
  }
}

async function check(page, vp, path, n) {
  await page.waitForLoadState('load');
  const m = await page.evaluate((asked) => {
    const de = document.documentElement;
    const hidden = (el) => ['hidden', 'clip'].includes(getComputedStyle(el).overflowX);
    // The elements that stick out of a parent that does not, for the report.
    const out = (el) => el.getBoundingClientRect().right > asked + 0.5;
    const name = (el) => el.tagName.toLowerCase() + (el.className ? `.${String(el.className).split(' ').join('.')}` : '');
    const culprit = de.scrollWidth > asked
      ? [...document.body.querySelectorAll('*')].filter((el) => out(el) && !out(el.parentElement)).slice(0, 5).map(name).join(' ')
      : '';
    return {
      scrollWidth: de.scrollWidth,
      innerWidth: window.innerWidth,
      hidesOverflow: hidden(de) || hidden(document.body),
      culprit,
    };
  }, vp.width);
  // A phone browser widens its layout viewport to fit an overflowing page
  // (and zooms out): the window must still be the width asked for.
  const ok = m.scrollWidth <= m.innerWidth && m.innerWidth <= vp.width && !m.hidesOverflow;
  if (!ok) failed += 1;
  await page.screenshot({ path: join(out, `${vp.name}-${String(n).padStart(2, '0')}-${slug(path)}.png`), fullPage: true });
  console.log(JSON.stringify({ path, viewport: vp.name, width: vp.width, ...m, ok }));
}
