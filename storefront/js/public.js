// Public pages, read without logging in (O-1): the notices with their search, one notice in full
// (printable), and the daily list of direct orders. Everything shown comes from the publication
// API, which holds nothing before its time (O-3).

import { get } from './api.js';
import { show } from './money.js';
import { formQuery, h, mount, time } from './ui.js';

const KINDS = {
  opening: '采购公告', result: '成交结果公告', failure: '终止公告（流标/废标）', contract: '合同公告',
  cancellation: '终止公告（采购人终止）', correction: '更正公告', challenges: '质疑投诉处理结果公告', direct_order: '直购成交',
};
const MODES = {
  auction: '网上竞价', inquiry: '网上询价', competition: '二次竞价', negotiation: '协商采购', direct_order: '协议供货直接订购',
};
const CHALLENGE_STATES = {
  filed: '已提出质疑', dismissed: '质疑不成立', upheld: '质疑成立', unanswered: '采购人逾期未答复',
  complained: '已投诉', complaint_dismissed: '投诉不成立', complaint_upheld: '投诉成立',
};

function select(name, label, options, value) {
  return h('label', {}, label, h('select', { name },
    h('option', { value: '' }, '全部'),
    Object.entries(options).map(([key, text]) => h('option', { value: key, selected: key === value }, text))));
}

/** `#/public?...`: the notices, newest first, searchable by region, category, mode, kind and date. */
export async function noticeList(_me, arg) {
  const params = new URLSearchParams(arg ?? '');
  const form = h('form', {
    class: 'inline no-print',
    onsubmit: (event) => {
      event.preventDefault();
      location.hash = `#/public?${formQuery(form)}`;
    },
  },
  h('label', {}, '地区代码', h('input', { name: 'region', value: params.get('region') ?? '', placeholder: '如 330100', size: 8 })),
  h('label', {}, '品目代码', h('input', { name: 'category', value: params.get('category') ?? '', placeholder: '如 A02', size: 8 })),
  select('mode', '采购方式', MODES, params.get('mode')),
  select('kind', '公告类型', KINDS, params.get('kind')),
  h('label', {}, '发布日期自', h('input', { name: 'from', type: 'date', value: params.get('from') ?? '' })),
  h('label', {}, '至', h('input', { name: 'to', type: 'date', value: params.get('to') ?? '' })),
  h('label', {}, '标题关键词', h('input', { name: 'q', value: params.get('q') ?? '' })),
  h('button', { type: 'submit' }, '查询'));
  const query = new URLSearchParams(params);
  query.set('limit', '20');
  const list = await get(`/public/notices?${query}`);
  const offset = Number(params.get('offset') ?? 0);
  const page = (to) => {
    const next = new URLSearchParams(params);
    next.set('offset', String(to));
    return `#/public?${next}`;
  };
  const rows = list.notices.map((n) => h('tr', {},
    h('td', {}, time(n.published_ms)),
    h('td', {}, h('span', { class: `pill ${n.kind}` }, n.kind_name)),
    h('td', {}, h('a', { href: `#/public/notice/${n.id}` }, n.title)),
    h('td', {}, MODES[n.mode] ?? n.mode),
    h('td', {}, n.region ?? '')));
  mount(h('div', { class: 'card' },
    h('h1', {}, '采购公告公示'),
    h('p', { class: 'muted' }, '依法公开的采购公告、成交结果、合同与更正公告，无需登录即可查阅。',
      h('a', { href: '/api/v1/public/notices.atom' }, '订阅（Atom）'), ' · ',
      h('a', { href: '/api/v1/ocds/releases' }, '开放合同数据（OCDS）'), ' · ',
      h('a', { href: '#/public/direct-orders' }, '直购成交日清单')),
    form,
    rows.length
      ? h('table', { class: 'notices' },
        h('thead', {}, h('tr', {}, h('th', {}, '发布时间'), h('th', {}, '类型'), h('th', {}, '标题'), h('th', {}, '采购方式'), h('th', {}, '地区'))),
        h('tbody', {}, rows))
      : h('p', { class: 'muted' }, '暂无符合条件的公告'),
    h('div', { class: 'pager no-print' },
      offset > 0 ? h('a', { href: page(Math.max(0, offset - 20)) }, '上一页') : null,
      list.next_offset !== null ? h('a', { href: page(list.next_offset) }, '下一页') : null)));
}

function party(p) {
  if (!p) return '—';
  return p.credit_code ? `${p.name}（统一社会信用代码 ${p.credit_code}）` : (p.name ?? '—');
}

function row(label, value) {
  return value === undefined || value === null || value === '' ? null : h('tr', {}, h('th', {}, label), h('td', {}, value));
}

function itemsTable(items) {
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, '品目'), h('th', {}, '标的'), h('th', { class: 'num' }, '数量'), h('th', {}, '单位'), h('th', { class: 'num' }, '最高限价（元）'))),
    h('tbody', {}, (items ?? []).map((i) => h('tr', {},
      h('td', {}, `${i.category_name ?? ''} ${i.category ?? ''}`),
      h('td', {}, i.description),
      h('td', { class: 'num' }, i.quantity),
      h('td', {}, i.unit),
      h('td', { class: 'num' }, i.ceiling ? show(i.ceiling) : '—')))));
}

function bidsTable(bids) {
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, '供应商'), h('th', {}, '统一社会信用代码'), h('th', { class: 'num' }, '报价（元）'), h('th', { class: 'num' }, '受理序号'))),
    h('tbody', {}, bids.map((b) => h('tr', {}, h('td', {}, b.name), h('td', { class: 'mono' }, b.credit_code), h('td', { class: 'num' }, show(b.price)), h('td', { class: 'num' }, b.receipt_seq)))));
}

function quotesTable(rounds) {
  return rounds.filter((r) => r.quotes.length || r.quoters.length).map((r) => h('div', {},
    h('h3', {}, `第 ${r.number} 轮（截止 ${time(r.deadline_ms)}）`),
    r.quotes.length
      ? h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, '供应商'), h('th', {}, '各行单价（元）'), h('th', { class: 'num' }, '总价（元）'), h('th', {}, '是否有效'))),
        h('tbody', {}, r.quotes.map((q) => h('tr', {},
          h('td', {}, party(q.supplier)),
          h('td', {}, (q.prices ?? []).map(show).join('；') || '无法读取'),
          h('td', { class: 'num' }, q.total ? show(q.total) : '—'),
          h('td', {}, q.defect ? '无效' : '有效')))))
      : h('p', { class: 'muted' }, `报价供应商不足，未开启：${r.quoters.map((q) => party(q.supplier)).join('、')}`)));
}

function tradesTable(trades) {
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, '成交编号'), h('th', {}, '标的'), h('th', {}, '供应商'), h('th', { class: 'num' }, '数量'), h('th', { class: 'num' }, '单价（元）'), h('th', { class: 'num' }, '金额（元）'))),
    h('tbody', {}, (trades ?? []).map((t) => h('tr', {},
      h('td', { class: 'mono' }, t.trade_id), h('td', {}, t.description), h('td', {}, party(t.supplier)),
      h('td', { class: 'num' }, `${t.quantity} ${t.unit}`), h('td', { class: 'num' }, show(t.unit_price)), h('td', { class: 'num' }, show(t.amount))))));
}

function challengesTable(list) {
  return h('table', {},
    h('thead', {}, h('tr', {}, h('th', {}, '质疑供应商'), h('th', {}, '质疑事项'), h('th', {}, '采购人答复'), h('th', {}, '投诉'), h('th', {}, '监管部门处理决定'), h('th', {}, '结果'))),
    h('tbody', {}, list.map((c) => h('tr', {},
      h('td', {}, c.name), h('td', {}, c.grounds), h('td', {}, c.reply ?? (c.answer_overdue ? '逾期未答复' : '—')),
      h('td', {}, c.complaint ?? '—'), h('td', {}, c.ruling ?? '—'), h('td', {}, CHALLENGE_STATES[c.state] ?? c.state)))));
}

/** What the notice's kind announces. */
function announcement(kind, b) {
  switch (kind) {
    case 'opening':
      return h('table', { class: 'facts' }, h('tbody', {},
        row('开始时间', b.opens_ms ? time(b.opens_ms) : null),
        row('截止时间', b.closes_ms ? time(b.closes_ms) : null),
        row('供应商资格', b.eligibility),
        row('最少有效供应商', b.min_bidders ? `${b.min_bidders} 家` : null),
        row('最小降价幅度', b.min_step),
        row('最多轮次', b.max_rounds),
        row('规则', b.rules)));
    case 'result':
      return [
        h('table', { class: 'facts' }, h('tbody', {},
          row('成交供应商', party(b.winner)),
          row('成交单价（元）', b.price ? show(b.price) : null),
          row('成交金额（元）', b.amount ? show(b.amount) : null),
          row('参与供应商', b.bidders ?? b.suppliers),
          row('质疑期截止', b.challenge_period_ends_ms ? time(b.challenge_period_ends_ms) : null))),
        Array.isArray(b.bids) ? [h('h2', {}, '全部竞价记录'), bidsTable(b.bids)] : null,
        Array.isArray(b.quotes) ? [h('h2', {}, '全部报价'), quotesTable(b.quotes)] : null,
      ];
    case 'failure':
      return [h('p', {}, `终止原因：${b.reason}`),
        Array.isArray(b.bids) && b.bids.length ? [h('h2', {}, '竞价记录'), bidsTable(b.bids)] : null,
        Array.isArray(b.quotes) ? quotesTable(b.quotes) : null];
    case 'cancellation':
      return h('p', {}, `终止原因：${b.reason || '（未说明）'}`);
    case 'correction':
      return h('table', { class: 'facts' }, h('tbody', {},
        row('更正事项', b.what === 'new_round' ? `重新询价（第 ${b.round} 轮）` : '成交供应商递补'),
        row('更正原因', b.reason),
        row('新的截止时间', b.closes_ms ? time(b.closes_ms) : null),
        row('递补成交供应商', b.winner ? party(b.winner) : null),
        row('成交金额（元）', b.amount ? show(b.amount) : null)));
    case 'contract':
      return [h('table', { class: 'facts' }, h('tbody', {},
        row('供应商', party(b.supplier)), row('合同金额（元）', b.amount ? show(b.amount) : null))), tradesTable(b.trades)];
    case 'challenges':
      return challengesTable(b.challenges ?? []);
    case 'direct_order':
      return [h('p', {}, `成交金额：${show(b.amount)} 元`), tradesTable(b.trades)];
    default:
      return null;
  }
}

/** `#/public/notice/<id>`: one notice in full, ready to print. */
export async function noticePage(_me, id) {
  const notice = await get(`/public/notices/${encodeURIComponent(id)}`);
  const b = notice.body ?? {};
  mount(h('article', { class: 'card notice' },
    h('p', { class: 'no-print' }, h('a', { href: '#/public' }, '← 返回公告列表'), ' ',
      h('button', { class: 'plain', onclick: () => window.print() }, '打印')),
    h('h1', {}, notice.title),
    h('p', { class: 'muted' }, `${KINDS[notice.kind] ?? notice.kind_name} · 发布时间 ${time(notice.published_ms)} · 项目编号 ${b.ocid ?? notice.deal}`),
    h('table', { class: 'facts' }, h('tbody', {},
      row('采购人', party(b.purchaser)),
      row('所在地区', b.region?.name ? `${b.region.name}（${b.region.code}）` : null),
      row('采购方式', b.mode_name),
      row('预算金额（元）', b.budget ? show(b.budget) : null))),
    notice.kind === 'direct_order' ? null : [h('h2', {}, '采购标的'), itemsTable(b.items)],
    h('h2', {}, KINDS[notice.kind] ?? '公告内容'),
    announcement(notice.kind, b)));
}

/** `#/public/direct-orders?date=YYYY-MM-DD`: the day's direct orders (直购成交日清单). */
export async function directOrders(_me, arg) {
  const params = new URLSearchParams(arg ?? '');
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const date = params.get('date') || today;
  const list = await get(`/public/direct-orders?date=${encodeURIComponent(date)}`);
  const form = h('form', {
    class: 'inline no-print',
    onsubmit: (event) => { event.preventDefault(); location.hash = `#/public/direct-orders?${formQuery(form)}`; },
  }, h('label', {}, '日期', h('input', { name: 'date', type: 'date', value: date })), h('button', { type: 'submit' }, '查询'));
  const rows = list.orders.flatMap((o) => (o.trades ?? []).map((t) => h('tr', {},
    h('td', {}, time(t.struck_ms)), h('td', {}, o.purchaser?.name ?? ''), h('td', {}, t.supplier?.name ?? ''),
    h('td', {}, t.description), h('td', { class: 'num' }, `${t.quantity} ${t.unit}`),
    h('td', { class: 'num' }, show(t.unit_price)), h('td', { class: 'num' }, show(t.amount)))));
  mount(h('div', { class: 'card' },
    h('p', { class: 'no-print' }, h('a', { href: '#/public' }, '← 返回公告列表')),
    h('h1', {}, `协议供货直接订购成交日清单（${date}）`),
    form,
    rows.length
      ? h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, '成交时间'), h('th', {}, '采购人'), h('th', {}, '供应商'), h('th', {}, '标的'), h('th', { class: 'num' }, '数量'), h('th', { class: 'num' }, '单价（元）'), h('th', { class: 'num' }, '金额（元）'))),
        h('tbody', {}, rows))
      : h('p', { class: 'muted' }, '当日暂无直购成交')));
}
