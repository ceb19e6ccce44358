// End-to-end tests of the storefront in headless Chromium (Debian's `chromium`, driven by
// playwright-core). Starts its own marketplace node (demo province) in a temporary folder on a
// free port, runs each test in fresh browser contexts, saves a screenshot of every role's home
// under `artifacts/`, and exits non-zero on the first failure. Waits are for what the page shows,
// each with a time limit as a guard; none is a sleep.
//
//   MARKETPLACE_BIN=target/debug/gateway node tests/e2e/run.mjs

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const binary = resolve(root, process.env.MARKETPLACE_BIN ?? 'target/debug/gateway');
const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });
const GUARD = 30_000;

/** Starts a node and resolves with its base URL once it serves. */
function startNode(dataDir) {
  // The embedded defaults: no PostgreSQL, no Redis, no NATS, whatever the shell has set; the demo
  // market kept still, so that each test sees only what it does itself.
  const env = { ...process.env, RUST_LOG: 'warn', APP_DEMO_STILL: '1' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.NATS_URL;
  // The data and the sealing key in one temporary folder, the key outside the data as required.
  const args = ['--data-dir', join(dataDir, 'data'), '--sealing-key-file', join(dataDir, 'sealing.key'), '--listen', '127.0.0.1:0'];
  const child = spawn(binary, args, {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the node did not start within 180 s:\n${seen}`)), 180_000);
    child.stderr.on('data', (chunk) => {
      seen += chunk;
      const match = /Marketplace at (http:\/\/[^/\s]+)\//.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, base: match[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`the node exited with ${code}:\n${seen}`)));
  });
}

/** The API from the test itself, for set-up a person would do elsewhere. */
async function api(base, token, method, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const value = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(value)}`);
  return value;
}

async function login(page, base, who) {
  await page.goto(`${base}/`);
  await page.fill('input[name=login]', who);
  await page.fill('input[name=password]', 'demo');
  await page.click('button[type=submit]');
  await page.waitForSelector('#who button', { timeout: GUARD });
}

/** Logs in as the demo supplier whose participant id is `participant`: demo suppliers' logins are
 * numbered in their order of registration, which the centre's directory lists. */
async function loginAs(base, participant) {
  const centre = await api(base, null, 'POST', '/login', { login: 'centre', password: 'demo' });
  const suppliers = await api(base, centre.token, 'GET', '/participants?kind=supplier&per_page=500');
  const n = suppliers.items.findIndex((p) => p.id === participant);
  assert(n >= 0, `participant ${participant} is a demo supplier`);
  return api(base, null, 'POST', '/login', { login: `supplier${n + 1}`, password: 'demo' });
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Integer fen from a shown amount such as "1,234.50". */
function fenOf(text) {
  const clean = text.replace(/,/g, '').trim();
  const [whole, cents = '00'] = clean.split('.');
  return BigInt(whole) * 100n + BigInt(cents.padEnd(2, '0').slice(0, 2));
}

const tests = {
  async 'a purchaser orders from the catalog and sees its budget drop'({ browser, base }) {
    const page = await (await browser.newContext()).newPage();
    await login(page, base, 'unit1');
    await page.screenshot({ path: join(artifacts, 'purchaser-home.png'), fullPage: true });
    const product = page.locator('tbody tr', { hasNot: page.locator('text=本地区暂无报价') }).first().locator('a');
    await product.click();
    await page.waitForSelector('text=直接订购', { timeout: GUARD });
    const before = fenOf(await page.locator('.stats .big').first().textContent());
    await page.fill('input[name=quantity]', '1');
    await page.click('form button[type=submit]');
    await page.waitForSelector('.ok:has-text("已成交")', { timeout: GUARD });
    await page.waitForFunction((was) => {
      const text = document.querySelector('.stats .big')?.textContent ?? '';
      const [w, c = '00'] = text.replace(/,/g, '').split('.');
      return BigInt(w) * 100n + BigInt(c.padEnd(2, '0').slice(0, 2)) < BigInt(was);
    }, before.toString(), { timeout: GUARD });
    const after = fenOf(await page.locator('.stats .big').first().textContent());
    assert(after < before, `the available budget dropped: ${before} -> ${after}`);
    await page.goto(`${base}/#/orders`);
    await page.waitForSelector('tbody tr', { timeout: GUARD });
    assert(await page.locator('tbody tr').count() >= 1, 'the order is listed under my orders');
  },

  async 'two suppliers bid in a live auction and each sees only its own rank'({ browser, base }) {
    const unit = await api(base, null, 'POST', '/login', { login: 'unit2', password: 'demo' });
    const bidders = [];
    for (const who of ['supplier1', 'supplier2', 'supplier3']) {
      bidders.push((await api(base, null, 'POST', '/login', { login: who, password: 'demo' })).participant);
    }
    const budgets = await api(base, unit.token, 'GET', '/budgets');
    const catalog = await api(base, unit.token, 'GET', '/catalog/products?per_page=1');
    const opened = await api(base, unit.token, 'POST', '/auctions', {
      product: catalog.items[0].id, quantity: '1', budget_line: budgets.lines[0].id, ceiling: '1000.00',
      duration_seconds: 1800, min_step: '1.00', disclosure: 'rank_only', invited: bidders,
    });
    const id = opened.auction.auction;
    const rooms = [];
    for (const who of ['supplier1', 'supplier2']) {
      const page = await (await browser.newContext()).newPage();
      await login(page, base, who);
      if (who === 'supplier1') await page.screenshot({ path: join(artifacts, 'supplier-home.png'), fullPage: true });
      await page.goto(`${base}/#/auction/${id}`);
      await page.waitForSelector('#bid-form:not([hidden])', { timeout: GUARD });
      await page.waitForSelector(`html[data-subscribed~="auction:${id}"]`, { timeout: GUARD });
      rooms.push(page);
    }
    const [first, second] = rooms;
    await first.fill('#bid-form input[name=price]', '990.00');
    await first.click('#bid-form button');
    await first.waitForSelector('#bid-feedback:has-text("排名第 1")', { timeout: GUARD });
    await second.fill('#bid-form input[name=price]', '980.00');
    await second.click('#bid-form button');
    await second.waitForSelector('#bid-feedback:has-text("排名第 1")', { timeout: GUARD });
    // The first learns live that it is second now, and sees two bidders; no price but its own.
    await first.waitForFunction(() => document.querySelector('#my-rank')?.textContent === '2', null, { timeout: GUARD });
    await first.waitForFunction(() => document.querySelector('#bidders')?.textContent === '2', null, { timeout: GUARD });
    const firstText = await first.locator('main').textContent();
    assert(!firstText.includes('980'), 'rank_only: the first bidder never sees the other price');
    assert(firstText.includes('990'), 'the first bidder sees its own price');
    const secondText = await second.locator('main').textContent();
    assert(!secondText.includes('990'), 'rank_only: the second bidder never sees the other price');
    await first.screenshot({ path: join(artifacts, 'auction-room.png'), fullPage: true });
    // A step too small is refused next to the field, in plain words.
    await first.fill('#bid-form input[name=price]', '989.50');
    await first.click('#bid-form button');
    await first.waitForSelector('#bid-form .error:has-text("A-2")', { timeout: GUARD });
  },

  async 'a purchaser opens an inquiry, a supplier seals a quote and keeps a receipt that verifies, and the purchaser sees nothing of it'({ browser, base }) {
    const invited = [];
    for (const who of ['supplier5', 'supplier6', 'supplier7']) {
      invited.push((await api(base, null, 'POST', '/login', { login: who, password: 'demo' })).participant);
    }
    const unit = await api(base, null, 'POST', '/login', { login: 'unit4', password: 'demo' });
    const catalog = await api(base, unit.token, 'GET', '/catalog/products?per_page=1');
    const purchaser = await (await browser.newContext()).newPage();
    await login(purchaser, base, 'unit4');
    await purchaser.goto(`${base}/#/inquiries`);
    await purchaser.waitForSelector('#inquiry-form select[name=budget_line] option', { state: 'attached', timeout: GUARD });
    await purchaser.fill('#inquiry-form input[name=product]', String(catalog.items[0].id));
    await purchaser.fill('#inquiry-form input[name=quantity]', '2');
    await purchaser.fill('#inquiry-form input[name=ceiling]', '3000');
    // Too few invitees first: the refusal is shown in plain words.
    await purchaser.fill('#inquiry-form input[name=invited]', invited.slice(0, 2).join(','));
    await purchaser.click('#inquiry-form button[type=submit]');
    await purchaser.waitForSelector('#inquiry-form .error:has-text("invite 3 to 200")', { timeout: GUARD });
    await purchaser.fill('#inquiry-form input[name=invited]', invited.join(','));
    await purchaser.click('#inquiry-form button[type=submit]');
    await purchaser.waitForURL(/#\/inquiry\/\d+/, { timeout: GUARD });
    const id = Number(/inquiry\/(\d+)/.exec(purchaser.url())[1]);
    await purchaser.waitForSelector('text=本轮邀请的供应商', { timeout: GUARD });

    const supplier = await (await browser.newContext()).newPage();
    await login(supplier, base, 'supplier5');
    await supplier.goto(`${base}/#/inquiries`);
    await supplier.waitForSelector(`a[href="#/inquiry/${id}"]`, { timeout: GUARD });
    await supplier.click(`a[href="#/inquiry/${id}"]`);
    await supplier.waitForSelector('#quote-form', { timeout: GUARD });
    await supplier.waitForSelector(`html[data-subscribed~="inquiry:${id}"]`, { timeout: GUARD });
    await supplier.fill('#quote-form input[name=prices]', '2876.5432');
    await supplier.waitForSelector('#quote-total:has-text("5,753.09")', { timeout: GUARD });
    await supplier.click('#quote-form button[type=submit]');
    await supplier.waitForSelector('#receipt-commitment', { timeout: GUARD });
    const shown = (await supplier.locator('#receipt-commitment').textContent()).trim();
    assert(/^[0-9a-f]{64}$/.test(shown), `the receipt shows a SHA-256 commitment: ${shown}`);
    await supplier.screenshot({ path: join(artifacts, 'inquiry-quote.png'), fullPage: true });
    // The browser keeps the receipt, and recomputes the same commitment the server gave.
    const verified = await supplier.evaluate(async (inquiry) => {
      const [receipt] = JSON.parse(localStorage.getItem(`receipts:${inquiry}`));
      const { commitment } = await import('/js/inquiry.js');
      const again = await commitment(receipt.inquiry, receipt.round, receipt.supplier, false, receipt.prices, receipt.nonce);
      return again === receipt.commitment ? receipt.commitment : `mismatch ${again}`;
    }, id);
    assert(verified === shown, `the kept receipt verifies in the browser: ${verified}`);

    // The purchaser's page, reloaded, shows the quotes sealed and nothing of the price or the quoter.
    await purchaser.reload();
    await purchaser.waitForSelector('text=密封中', { timeout: GUARD });
    const text = await purchaser.locator('main').textContent();
    assert(!text.includes('2876') && !text.includes('2,876'), 'the purchaser sees no quoted price');
    await purchaser.screenshot({ path: join(artifacts, 'inquiry-purchaser.png'), fullPage: true });
  },

  async 'a purchaser proposes a price, the supplier counters and the purchaser accepts, each page live'({ browser, base }) {
    const seller = await api(base, null, 'POST', '/login', { login: 'supplier8', password: 'demo' });
    const mine = await api(base, seller.token, 'GET', '/agreements?per_page=200');
    // The cheapest province-wide offer, so one unit stays under any direct-order limit.
    const agreement = mine.items
      .filter((a) => a.valid_now && a.offer && a.regions.includes('330000') && (a.stock === null || Number(a.stock) >= 1))
      .sort((a, b) => (fenOf(a.offer) < fenOf(b.offer) ? -1 : 1))[0];
    assert(agreement, 'supplier8 holds a province-wide agreement with an offer');
    const offerFen = fenOf(agreement.offer);
    const asPrice = (f) => `${f / 100n}.${String(f % 100n).padStart(2, '0')}`;
    const proposed = asPrice(offerFen * 90n / 100n);
    const countered = asPrice(offerFen * 95n / 100n);
    const unit = await api(base, null, 'POST', '/login', { login: 'unit6', password: 'demo' });
    const purchaser = await (await browser.newContext()).newPage();
    await login(purchaser, base, 'unit6');
    await purchaser.goto(`${base}/#/negotiations`);
    await purchaser.waitForSelector('#propose-form select[name=budget_line] option', { state: 'attached', timeout: GUARD });
    await purchaser.fill('#propose-form input[name=agreement]', String(agreement.id));
    // At the offer itself: refused in plain words, with its rule.
    await purchaser.fill('#propose-form input[name=price]', agreement.offer);
    await purchaser.click('#propose-form button[type=submit]');
    await purchaser.waitForSelector('#propose-form .error:has-text("N-1")', { timeout: GUARD });
    await purchaser.fill('#propose-form input[name=price]', proposed);
    await purchaser.click('#propose-form button[type=submit]');
    await purchaser.waitForSelector('#negotiations .pill.proposed', { timeout: GUARD });
    const supplier = await (await browser.newContext()).newPage();
    await login(supplier, base, 'supplier8');
    await supplier.goto(`${base}/#/negotiations`);
    await supplier.waitForSelector('#negotiations .pill.proposed', { timeout: GUARD });
    await purchaser.waitForSelector(`html[data-subscribed~="negotiations:${unit.participant}"]`, { timeout: GUARD });
    await supplier.fill('#negotiations input[name=price]', countered);
    await supplier.click('#negotiations form button[type=submit]');
    await supplier.waitForSelector('#negotiations .pill.countered', { timeout: GUARD });
    // The purchaser's page learns of the counter live, and accepts it.
    await purchaser.waitForSelector('#negotiations button.accept', { timeout: GUARD });
    await purchaser.click('#negotiations button.accept');
    await purchaser.waitForSelector('#negotiations .pill.accepted', { timeout: GUARD });
    const price = await purchaser.locator('#negotiations td.price').first().textContent();
    assert(fenOf(price) === fenOf(countered), `the trade is at the countered price: ${price}`);
    await purchaser.screenshot({ path: join(artifacts, 'negotiation.png'), fullPage: true });
    // A stranger's page lists nothing of it.
    const stranger = await (await browser.newContext()).newPage();
    await login(stranger, base, 'supplier9');
    await stranger.goto(`${base}/#/negotiations`);
    await stranger.waitForSelector('text=暂无议价', { timeout: GUARD });
  },

  async 'a supplier challenges an award, complains, the regulator annuls it and the purchaser awards the next-ranked'({ browser, base }) {
    const unit = await api(base, null, 'POST', '/login', { login: 'unit3', password: 'demo' });
    const suppliers = {};
    for (const who of ['supplier4', 'supplier5', 'supplier6']) {
      suppliers[who] = await api(base, null, 'POST', '/login', { login: who, password: 'demo' });
    }
    const budgets = await api(base, unit.token, 'GET', '/budgets');
    const catalog = await api(base, unit.token, 'GET', '/catalog/products?per_page=1');
    // A short auction with no soft close: it ends a few seconds after the three bids.
    const opened = await api(base, unit.token, 'POST', '/auctions', {
      product: catalog.items[0].id, quantity: '1', budget_line: budgets.lines[0].id, ceiling: '1000.00',
      duration_seconds: 6, min_step: '1.00', soft_close_seconds: 0, extension_seconds: 0, max_extension_seconds: 0,
      invited: Object.values(suppliers).map((s) => s.participant),
    });
    const id = opened.auction.auction;
    for (const [who, price] of [['supplier4', '990.00'], ['supplier5', '980.00'], ['supplier6', '970.00']]) {
      await api(base, suppliers[who].token, 'POST', `/auctions/${id}/bids`, { price });
    }
    // The runner-up challenges from the auction's results.
    const challenger = await (await browser.newContext()).newPage();
    await login(challenger, base, 'supplier5');
    await challenger.goto(`${base}/#/auction/${id}`);
    await challenger.waitForSelector('#award-link', { timeout: GUARD });
    await challenger.click('#award-link');
    await challenger.waitForSelector('form[data-form=grounds]', { timeout: GUARD });
    await challenger.fill('form[data-form=grounds] textarea', '成交供应商报价明显低于成本，可能影响履约');
    await challenger.click('form[data-form=grounds] button');
    await challenger.waitForSelector('.challenge [data-state=filed]', { timeout: GUARD });
    // The purchaser dismisses it.
    const purchaser = await (await browser.newContext()).newPage();
    await login(purchaser, base, 'unit3');
    await purchaser.goto(`${base}/#/award/${id}`);
    await purchaser.waitForSelector('form[data-form=reply]', { timeout: GUARD });
    await purchaser.fill('form[data-form=reply] textarea', '经核实，成交供应商报价有成本依据');
    await purchaser.click('form[data-form=reply] button');
    await purchaser.waitForSelector('.challenge [data-state=dismissed]', { timeout: GUARD });
    // The challenger learns it live and complains.
    await challenger.waitForSelector('form[data-form=complaint]', { timeout: GUARD });
    await challenger.fill('form[data-form=complaint] textarea', '采购人答复未说明成本依据');
    await challenger.click('form[data-form=complaint] button');
    await challenger.waitForSelector('.challenge [data-state=complained]', { timeout: GUARD });
    // The centre, as regulator, suspends the deal and upholds the complaint.
    const regulator = await (await browser.newContext()).newPage();
    await login(regulator, base, 'centre');
    await regulator.goto(`${base}/#/awards?pending=true`);
    await regulator.waitForSelector(`tr[data-deal="${id}"] a`, { timeout: GUARD });
    await regulator.click(`tr[data-deal="${id}"] a`);
    await regulator.waitForSelector('form[data-form=reason]', { timeout: GUARD });
    await regulator.fill('form[data-form=reason] textarea', '投诉处理期间暂停采购活动');
    await regulator.click('form[data-form=reason] button');
    await regulator.waitForSelector('#suspended', { timeout: GUARD });
    await regulator.fill('form[data-form=ruling] textarea', '投诉成立，成交结果无效');
    await regulator.selectOption('form[data-form=ruling] select', 'true');
    await regulator.click('form[data-form=ruling] button');
    await regulator.waitForSelector('#award-state[data-state=vacant]', { timeout: GUARD });
    // The purchaser, told live, awards the next-ranked: the challenger, at its own price.
    await purchaser.waitForSelector('#award-next', { timeout: GUARD });
    await purchaser.click('#award-next');
    await purchaser.waitForSelector('#award-state[data-state=provisional]', { timeout: GUARD });
    const winner = await purchaser.locator('#winner').textContent();
    assert(winner === suppliers.supplier5.name, `the next-ranked wins: ${winner} / ${suppliers.supplier5.name}`);
    assert((await purchaser.locator('main').textContent()).includes('980.00'), 'at its own price');
    await purchaser.screenshot({ path: join(artifacts, 'award-next-ranked.png'), fullPage: true });
  },

  async 'an analyst watches the candle chart grow as trades arrive, and the centre reads the reconciliation'({ browser, base }) {
    const page = await (await browser.newContext()).newPage();
    await login(page, base, 'supervisor');
    await page.waitForSelector('canvas#candles', { timeout: GUARD });
    const unit = await api(base, null, 'POST', '/login', { login: 'unit3', password: 'demo' });
    const catalog = await api(base, unit.token, 'GET', '/catalog/products?per_page=100');
    const product = catalog.items.find((p) => p.best_offer);
    await page.goto(`${base}/#/prices?category=${product.category}&interval=1m`);
    const topic = `candles:category:${product.category}:1m`;
    await page.waitForSelector(`html[data-subscribed~="${topic}"]`, { timeout: GUARD });
    const before = Number(await page.locator('canvas#candles').getAttribute('data-trades'));
    const budgets = await api(base, unit.token, 'GET', '/budgets');
    for (let i = 0; i < 2; i += 1) {
      await api(base, unit.token, 'POST', '/orders', { product: product.id, quantity: '1', budget_line: budgets.lines[0].id });
    }
    // The chart takes both trades in without a reload.
    await page.waitForFunction((n) => Number(document.querySelector('canvas#candles')?.dataset.trades) >= n + 2, before, { timeout: GUARD });
    await page.screenshot({ path: join(artifacts, 'analyst-home.png'), fullPage: true });
    await page.goto(`${base}/#/alerts`);
    await page.waitForSelector('tbody#alerts', { state: 'attached', timeout: GUARD });
    const operator = await (await browser.newContext()).newPage();
    await login(operator, base, 'centre');
    await operator.waitForSelector('text=三方一致', { timeout: GUARD });
    await operator.screenshot({ path: join(artifacts, 'operator-home.png'), fullPage: true });
  },
  async 'a citizen reads notices without logging in: an opening that names no bidder, then the result with every bid, printable'({ browser, base }) {
    const unit = await api(base, null, 'POST', '/login', { login: 'unit5', password: 'demo' });
    const suppliers = {};
    for (const who of ['supplier7', 'supplier8', 'supplier9']) {
      suppliers[who] = await api(base, null, 'POST', '/login', { login: who, password: 'demo' });
    }
    const budgets = await api(base, unit.token, 'GET', '/budgets');
    const catalog = await api(base, unit.token, 'GET', '/catalog/products?per_page=100');
    const product = catalog.items.find((p) => p.best_offer) ?? catalog.items[0];
    await api(base, unit.token, 'POST', '/orders', { product: product.id, quantity: '1', budget_line: budgets.lines[0].id });
    const opened = await api(base, unit.token, 'POST', '/auctions', {
      product: catalog.items[0].id, quantity: '1', budget_line: budgets.lines[0].id, ceiling: '1000.00',
      duration_seconds: 8, min_step: '1.00', soft_close_seconds: 0, extension_seconds: 0, max_extension_seconds: 0,
      invited: Object.values(suppliers).map((s) => s.participant),
    });
    const id = opened.auction.auction;
    for (const [who, price] of [['supplier7', '991.00'], ['supplier8', '981.00'], ['supplier9', '971.00']]) {
      await api(base, suppliers[who].token, 'POST', `/auctions/${id}/bids`, { price });
    }
    const names = Object.values(suppliers).map((s) => s.name);
    // A visitor with no session: the public pages, not the login form.
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${base}/#/public?mode=auction`);
    await page.waitForSelector('table.notices tbody tr', { timeout: GUARD });
    assert(await page.locator('input[name=password]').count() === 0, 'no login is asked for');
    const opening = await api(base, null, 'GET', `/public/notices?deal=${id}&kind=opening`);
    assert(opening.notices.length === 1, `the auction's opening is public: ${JSON.stringify(opening)}`);
    await page.goto(`${base}/#/public/notice/${opening.notices[0].id}`);
    await page.waitForSelector('h2:has-text("采购标的")', { timeout: GUARD });
    const openingText = await page.locator('main').innerText();
    assert(openingText.includes('采购公告') && openingText.includes('最高限价'), `the opening reads as one: ${openingText}`);
    for (const name of names) assert(!openingText.includes(name), `no bidder is named before the close: ${name}`);
    // Once the auction has closed, its result notice names every bid.
    let result = null;
    const deadline = Date.now() + GUARD;
    while (!result && Date.now() < deadline) {
      const found = await api(base, null, 'GET', `/public/notices?deal=${id}&kind=result`);
      result = found.notices[0] ?? null;
      if (!result) await page.waitForTimeout(250);
    }
    assert(result, 'the result notice is published after the close');
    await page.goto(`${base}/#/public?kind=result`);
    await page.click(`a[href="#/public/notice/${result.id}"]`);
    await page.waitForSelector('h2:has-text("全部竞价记录")', { timeout: GUARD });
    const resultText = await page.locator('main').innerText();
    for (const name of names) assert(resultText.includes(name), `every bidder is named in the result: ${name}`);
    assert(resultText.includes('971.00'), 'the winning price is shown');
    // Printed, the page leaves out the header and the buttons.
    await page.emulateMedia({ media: 'print' });
    assert(!(await page.locator('.topbar').isVisible()), 'the header is not printed');
    await page.screenshot({ path: join(artifacts, 'public-notice.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
    // The day's direct orders, with the one just placed.
    await page.goto(`${base}/#/public/direct-orders`);
    await page.waitForSelector('main table tbody tr', { timeout: GUARD });
    assert((await page.locator('main').innerText()).includes(unit.name), 'the order is in the daily list');
  },
  async 'a purchaser rates an accepted delivery and the score shows beside the supplier\'s offers'({ browser, base }) {
    const unit = await api(base, null, 'POST', '/login', { login: 'unit6', password: 'demo' });
    const budgets = await api(base, unit.token, 'GET', '/budgets');
    const catalog = await api(base, unit.token, 'GET', '/catalog/products?per_page=100');
    const product = catalog.items.find((p) => p.best_offer);
    const placed = await api(base, unit.token, 'POST', '/orders', { product: product.id, quantity: '1', budget_line: budgets.lines[0].id });
    const trade = placed.trades[0];
    // The supplier delivers and the unit accepts, as they would on their own pages.
    const deliverer = await loginAs(base, trade.supplier);
    await api(base, deliverer.token, 'POST', `/trades/${trade.id}/deliver`);
    await api(base, unit.token, 'POST', `/trades/${trade.id}/accept`);
    const page = await (await browser.newContext()).newPage();
    await login(page, base, 'unit6');
    await page.goto(`${base}/#/orders`);
    const row = page.locator(`tr[data-trade="${trade.id}"]`);
    await row.locator('form.rating').waitFor({ timeout: GUARD });
    await row.locator('select[name=delivery]').selectOption('4');
    await row.locator('select[name=quality]').selectOption('5');
    await row.locator('select[name=service]').selectOption('3');
    await row.locator('form.rating button[type=submit]').click();
    await row.locator('.ok:has-text("已评价")').waitFor({ timeout: GUARD });
    // The supplier's offers now carry its score.
    await page.goto(`${base}/#/product/${trade.product}`);
    await page.waitForSelector('span[title="近 12 个月考核评价均分"]', { timeout: GUARD });
    const ladder = await page.locator('main').innerText();
    assert(/★\d\.\d\d/.test(ladder), `a score beside the offers: ${ladder}`);
  },

  async 'the centre reads the province\'s statistics by city, sees the chart and downloads the CSV'({ browser, base }) {
    const page = await (await browser.newContext()).newPage();
    await login(page, base, 'centre');
    await page.goto(`${base}/#/statistics?by=region`);
    await page.waitForSelector('table#statistics tbody tr', { timeout: GUARD });
    const bars = Number(await page.locator('canvas#statistics-chart').getAttribute('data-bars'));
    const rows = await page.locator('table#statistics tbody tr').count();
    assert(bars === rows && rows >= 1, `a bar per row: ${bars} bars, ${rows} rows`);
    const text = await page.locator('table#statistics').innerText();
    assert(text.includes('市'), `rows by city: ${text}`);
    // By mode, through the form.
    await page.selectOption('select[name=by]', 'mode');
    await page.click('form.inline button[type=submit]');
    await page.waitForSelector('table#statistics td:has-text("直接订购")', { timeout: GUARD });
    const href = await page.locator('a#statistics-csv').getAttribute('href');
    const csv = await page.evaluate(async (url) => (await fetch(url, { credentials: 'same-origin' })).text(), href);
    assert(csv.includes('成交金额(元)') && csv.includes('direct_order'), `the CSV: ${csv.slice(0, 300)}`);
    await page.screenshot({ path: join(artifacts, 'statistics.png'), fullPage: true });
  },
};

const dataDir = mkdtempSync(join(tmpdir(), 'storefront-e2e-'));
let node;
let browser;
let failed = 0;
try {
  node = await startNode(dataDir);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  for (const [name, test] of Object.entries(tests)) {
    const started = Date.now();
    try {
      await test({ browser, base: node.base });
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed += 1;
      console.log(`FAIL ${name}\n     ${error.stack ?? error}`);
      // What every open page showed at the failure, for whoever reads the log.
      let n = 0;
      for (const context of browser.contexts()) {
        for (const page of context.pages()) {
          n += 1;
          await page.screenshot({ path: join(artifacts, `failed-${n}.png`), fullPage: true }).catch(() => {});
          console.log(`     page ${n}: ${page.url()} (artifacts/failed-${n}.png)`);
        }
      }
    }
  }
} finally {
  await browser?.close();
  node?.child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(failed ? `${failed} storefront test(s) failed` : 'all storefront tests passed');
process.exit(failed ? 1 : 0);
