// Analysts', regulators' and the centre's pages: the reconciliation report by region with every
// difference highlighted, and trades as they are struck, per category.

import { get } from './api.js';
import { follow } from './live.js';
import { show } from './money.js';
import { h, mount, time } from './ui.js';

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
