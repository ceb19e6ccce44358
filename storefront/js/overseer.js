// Analysts', regulators' and the centre's pages: the reconciliation report by region with every
// difference highlighted, and trades as they are struck, per category.

import { get } from './api.js';
import { follow } from './live.js';
import { show } from './money.js';
import { drawCandles } from './chart.js';
import { formQuery, h, mount, time } from './ui.js';

export async function reconciliation() {
  const report = await get('/reconciliation');
  const rows = report.by_region.map((r) => h('tr', { class: r.differs ? 'diff' : null },
    h('td', {}, `${r.region} ${r.name ?? ''}`),
    ['allocated', 'held', 'committed', 'paid', 'available'].map((k) => h('td', { class: 'num' }, show(r.engine[k]))),
    h('td', {}, r.differs ? '有差异' : '一致')));
  const differences = report.differences.map((d) => h('tr', { class: 'diff' },
    h('td', {}, d.scope), h('td', {}, d.figure), h('td', { class: 'num' }, show(d.engine)), h('td', { class: 'num' }, show(d.ledger)), h('td', { class: 'num' }, show(d.database))));
  mount(h('h1', {}, '预算对账（结余清算）'),
    h('div', { class: 'card stats' },
      h('div', {}, h('span', { class: 'muted' }, '截至序号'), h('span', { class: 'big' }, report.as_of_seq)),
      h('div', {}, h('span', { class: 'muted' }, '预算指标'), h('span', { class: 'big' }, report.budget_lines)),
      h('div', {}, h('span', { class: 'muted' }, '采购单位'), h('span', { class: 'big' }, report.purchasers)),
      h('div', {}, h('span', { class: 'muted' }, '差异'), h('span', { class: 'big', id: 'difference-count' }, report.differences.length))),
    report.differences.length
      ? h('div', { class: 'card' }, h('h2', {}, '差异'), h('table', {}, h('thead', {}, h('tr', {}, ['范围', '项目', '引擎', '分类账', '数据库'].map((t) => h('th', {}, t)))), h('tbody', {}, differences)))
      : h('p', { class: 'ok' }, '引擎、分类账与数据库三方一致。'),
    h('div', { class: 'card' }, h('h2', {}, '按地区'), h('table', {},
      h('thead', {}, h('tr', {}, ['地区', '下达', '冻结', '已承诺', '已支付', '可用', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows))));
}

export async function liveTrades(me, arg) {
  const categories = (await get('/categories?per_page=200')).items.filter((c) => c.code.length === 9 && !c.code.endsWith('00'));
  const chosen = new URLSearchParams(arg).get('category') ?? 'A02010105';
  const body = h('tbody');
  const select = h('select', { name: 'category', onchange: () => { location.hash = `#/trades?category=${select.value}`; } },
    categories.map((c) => h('option', { value: c.code, selected: c.code === chosen }, `${c.code} ${c.name}`)));
  mount(h('h1', {}, '实时成交'), h('div', { class: 'card' }, h('label', {}, '品目', select)),
    h('div', { class: 'card' }, h('table', {}, h('thead', {}, h('tr', {}, ['时间', '成交号', '方式', '数量', '单价', '金额', '地区'].map((t) => h('th', {}, t)))), body)));
  await follow(`trades:${chosen}`, (message) => {
    const t = message.event;
    if (!t || t.kind !== 'trade') return;
    body.prepend(h('tr', { class: 'flash' }, h('td', {}, time(t.ts_ms)), h('td', {}, t.id), h('td', {}, t.mode),
      h('td', { class: 'num' }, t.quantity), h('td', { class: 'num' }, show(t.unit_price)), h('td', { class: 'num' }, show(t.amount)), h('td', {}, t.region)));
    while (body.children.length > 200) body.lastChild.remove();
  });
}

/** Live candles of a product or a category, and the product's reference price. */
export async function prices(me, arg) {
  const params = new URLSearchParams(arg);
  const interval = params.get('interval') ?? '1m';
  const category = params.get('category') ?? 'A02010105';
  const product = params.get('product');
  const series = product ? `product=${product}` : `category=${category}`;
  const topic = product ? `candles:product:${product}:${interval}` : `candles:category:${category}:${interval}`;
  const since = Date.now() - (interval === '1d' ? 90 : interval === '1h' ? 7 : 1) * 86_400_000;
  const history = await get(`/prices/candles?${series}&interval=${interval}&from_ms=${since}`);
  const candles = history.items;
  const canvas = h('canvas', { id: 'candles', class: 'chart' });
  const last = h('span', { class: 'big', id: 'last-price' }, candles.length ? show(candles[candles.length - 1].close) : '—');
  const form = h('form', {
    class: 'inline',
    onsubmit: (event) => {
      event.preventDefault();
      location.hash = `#/prices?${formQuery(form)}`;
    },
  },
  h('label', {}, '品目', h('input', { name: 'category', value: product ? '' : category, size: 10 })),
  h('label', {}, '或商品编号', h('input', { name: 'product', value: product ?? '', size: 6 })),
  h('label', {}, '周期', h('select', { name: 'interval' }, ['1m', '1h', '1d'].map((i) => h('option', { value: i, selected: i === interval }, { '1m': '1 分钟', '1h': '1 小时', '1d': '1 日' }[i])))),
  h('button', { type: 'submit' }, '查看'));
  mount(h('h1', {}, '价格行情'), h('div', { class: 'card' }, form),
    h('div', { class: 'card' }, h('div', { class: 'stats' }, h('div', {}, h('span', { class: 'muted' }, '最新成交价'), last)), canvas));
  drawCandles(canvas, candles);
  await follow(topic, (message) => {
    const c = message.event;
    if (!c || !c.start_ms) return;
    const at = candles.findIndex((x) => x.start_ms === c.start_ms);
    if (at >= 0) candles[at] = c; else candles.push(c);
    last.textContent = show(c.close);
    drawCandles(canvas, candles);
  });
}

const ALERT_NAMES = {
  abnormal_price: '价格异常', abnormal_bid: '报价异常低', split_purchase: '疑似拆分采购',
  few_bidders: '竞价人不足', identical_bids: '报价雷同', bid_rotation: '轮流中标',
};

/** The alert stream of the region overseen, with filters by region and rule. */
export async function alerts(me, arg) {
  const params = new URLSearchParams(arg);
  const region = params.get('region') ?? me.region ?? '330000';
  const query = new URLSearchParams({ region, per_page: '50' });
  if (params.get('code')) query.set('code', params.get('code'));
  const list = await get(`/alerts?${query}`);
  const body = h('tbody', { id: 'alerts' });
  const row = (a) => h('tr', {}, h('td', {}, time(a.ts_ms)), h('td', {}, `${ALERT_NAMES[a.code] ?? a.code}（${a.rule}）`),
    h('td', {}, a.region), h('td', {}, a.deal), h('td', {}, a.message));
  body.replaceChildren(...list.items.map(row));
  const form = h('form', {
    class: 'inline',
    onsubmit: (event) => {
      event.preventDefault();
      location.hash = `#/alerts?${formQuery(form)}`;
    },
  },
  h('label', {}, '地区', h('input', { name: 'region', value: region, size: 8 })),
  h('label', {}, '类型', h('select', { name: 'code' }, h('option', { value: '' }, '全部'),
    Object.entries(ALERT_NAMES).map(([code, name]) => h('option', { value: code, selected: code === params.get('code') }, name)))),
  h('button', { type: 'submit' }, '筛选'));
  mount(h('h1', {}, '预警'), h('div', { class: 'card' }, form, h('p', { class: 'muted' }, `共 ${list.total} 条`)),
    h('div', { class: 'card' }, h('table', {}, h('thead', {}, h('tr', {}, ['时间', '类型', '地区', '交易', '说明'].map((t) => h('th', {}, t)))), body)));
  await follow(`alerts:${region}`, (message) => {
    const a = message.event;
    if (!a || (params.get('code') && a.code !== params.get('code'))) return;
    const r = row(a);
    r.classList.add('flash');
    body.prepend(r);
  });
}
