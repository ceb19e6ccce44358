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

const MODE_NAMES = { auction: '网上竞价', inquiry: '网上询价', competition: '二次竞价', negotiation: '协商采购', direct_order: '直接订购' };

/** Amounts per row as horizontal bars, drawn on `canvas` (labels left, values right). */
function drawBars(canvas, bars) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const rowHeight = 22;
  const height = Math.max(40, bars.length * rowHeight + 12);
  canvas.style.height = `${height}px`;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  canvas.dataset.bars = String(bars.length);
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, height);
  g.font = '12px sans-serif';
  g.textBaseline = 'middle';
  if (bars.length === 0) {
    g.fillStyle = '#6b7785';
    g.fillText('暂无数据', 12, 20);
    return;
  }
  // Amounts arrive as decimal strings: whole yuan are plenty for the bars' lengths.
  const values = bars.map((b) => Number(String(b.amount).split('.')[0]));
  const most = Math.max(1, ...values);
  const labelWidth = 180;
  const valueWidth = 120;
  const span = Math.max(20, width - labelWidth - valueWidth);
  bars.forEach((b, i) => {
    const y = 6 + i * rowHeight;
    g.fillStyle = '#1d2733';
    g.fillText(b.label.slice(0, 18), 4, y + rowHeight / 2);
    g.fillStyle = '#b3261e';
    g.fillRect(labelWidth, y + 4, Math.max(1, (values[i] / most) * span), rowHeight - 8);
    g.fillStyle = '#6b7785';
    g.fillText(show(b.amount), labelWidth + span + 6, y + rowHeight / 2);
  });
}

/** `#/statistics?...`: procurement statistics of the region the caller oversees (T-1). */
export async function statistics(me, arg) {
  const params = new URLSearchParams(arg ?? '');
  const now = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
  if (!params.get('from')) params.set('from', `${now.slice(0, 4)}-01`);
  if (!params.get('to')) params.set('to', now);
  if (!params.has('by')) params.set('by', 'region');
  const query = new URLSearchParams();
  for (const [key, value] of params) if (value) query.set(key, value);
  const figures = await get(`/statistics?${query}`);
  const select = (name, label, options) => h('label', {}, label, h('select', { name },
    Object.entries(options).map(([value, text]) => h('option', { value, selected: (params.get(name) ?? '') === value }, text))));
  const form = h('form', {
    class: 'inline',
    onsubmit: (event) => { event.preventDefault(); location.hash = `#/statistics?${formQuery(form)}`; },
  },
  select('period', '统计周期', { month: '月', quarter: '季度', year: '年' }),
  h('label', {}, '起始月份', h('input', { name: 'from', type: 'month', value: params.get('from') })),
  h('label', {}, '截止月份', h('input', { name: 'to', type: 'month', value: params.get('to') })),
  h('label', {}, '地区代码', h('input', { name: 'region', value: params.get('region') ?? '', placeholder: '本级', size: 8 })),
  h('label', {}, '品目代码', h('input', { name: 'category', value: params.get('category') ?? '', placeholder: '全部', size: 10 })),
  select('mode', '采购方式', { '': '全部', ...MODE_NAMES }),
  select('by', '分组', { region: '按下级地区', category: '按品目', mode: '按采购方式', '': '不分组' }),
  h('button', { type: 'submit' }, '统计'));
  const label = (r) => [r.period, r.region?.name, r.category?.name, r.mode ? MODE_NAMES[r.mode] ?? r.mode : null].filter(Boolean).join(' ');
  const rate = (v) => (v === null || v === undefined ? '—' : `${v}%`);
  const rows = figures.rows.map((r) => h('tr', {},
    h('td', {}, label(r)),
    h('td', { class: 'num' }, r.deals), h('td', { class: 'num' }, r.failed), h('td', { class: 'num' }, r.cancelled),
    h('td', { class: 'num' }, rate(r.failure_rate)),
    h('td', { class: 'num' }, show(r.amount)),
    h('td', { class: 'num' }, show(r.saved_against_ceiling)), h('td', { class: 'num' }, rate(r.saving_rate_ceiling)),
    h('td', { class: 'num' }, show(r.saved_against_budget)), h('td', { class: 'num' }, rate(r.saving_rate_budget)),
    h('td', { class: 'num' }, r.mean_participants ?? '—'),
    h('td', { class: 'num' }, show(r.small_amount)), h('td', { class: 'num' }, rate(r.small_share))));
  const canvas = h('canvas', { class: 'chart bars', id: 'statistics-chart' });
  mount(h('h1', {}, '采购信息统计'),
    h('div', { class: 'card' }, form,
      h('p', { class: 'muted' }, `地区 ${figures.region ?? '全省'} · ${figures.from} 至 ${figures.to} · 截至序号 ${figures.as_of_seq} · `,
        h('a', { href: `/api/v1/statistics.csv?${query}`, id: 'statistics-csv', download: 'statistics.csv' }, '下载 CSV'))),
    h('div', { class: 'card' }, h('h2', {}, '成交金额'), canvas),
    h('div', { class: 'card' }, rows.length
      ? h('table', { id: 'statistics' },
        h('thead', {}, h('tr', {}, ['分组', '成交', '失败', '终止', '失败率', '成交金额（元）', '较限价节约（元）', '限价节资率', '较预算节约（元）', '预算节资率', '平均参与家数', '小微企业成交额（元）', '小微占比'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows))
      : h('p', { class: 'muted' }, '所选范围内暂无成交')));
  drawBars(canvas, figures.rows.map((r) => ({ label: label(r), amount: r.amount })));
}
