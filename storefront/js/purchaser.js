// A purchasing unit's pages: the catalog of its region, a product with its live offer ladder and
// the order form (budget available before and after), its orders and their settlement, its budget.

import { get, post } from './api.js';
import { follow } from './live.js';
import { fen, lineAmount, show, yuan } from './money.js';
import { field, formQuery, h, mount, newest, pager, showError, time } from './ui.js';

/** Moves to `hash`; when it is already there, renders again with `again`. */
function go(hash, again) {
  if (location.hash === hash) again();
  else location.hash = hash;
}

const STATE_NAMES = { struck: '已成交', delivered: '已发货', accepted: '已验收', paid: '已支付', declined: '已拒签', cancelled: '已取消' };

export async function catalog(me, arg) {
  const params = new URLSearchParams(arg);
  const query = new URLSearchParams({ per_page: '20', page: params.get('page') ?? '1' });
  for (const key of ['category', 'q', 'max_price']) if (params.get(key)) query.set(key, params.get(key));
  const [list, categories] = await Promise.all([
    get(`/catalog/products?${query}`),
    get('/categories?per_page=200'),
  ]);
  const leaves = categories.items.filter((c) => /\d{2}[1-9]\d$|[1-9]$/.test(c.code) && c.code.length === 9);
  const form = h('form', {
    class: 'inline',
    onsubmit: (event) => {
      event.preventDefault();
      const next = formQuery(form);
      go(`#/?${next}`, () => catalog(me, next.toString()));
    },
  },
  h('label', {}, '品目', h('select', { name: 'category' }, h('option', { value: '' }, '全部'),
    leaves.map((c) => h('option', { value: c.code, selected: c.code === params.get('category') }, `${c.code} ${c.name}`)))),
  field('关键词', 'q', { value: params.get('q') ?? '', placeholder: '品牌、型号、规格' }),
  field('最高单价', 'max_price', { value: params.get('max_price') ?? '', inputmode: 'decimal' }),
  h('button', { type: 'submit' }, '查询'),
  h('span', { class: 'error', 'data-for': 'form' }));
  const rows = list.items.map((p) => h('tr', {},
    h('td', {}, h('a', { href: `#/product/${p.id}` }, `${p.brand} ${p.model}`), h('div', { class: 'muted' }, p.spec)),
    h('td', {}, p.category_name),
    h('td', { class: 'num' }, p.best_offer ? show(p.best_offer) : h('span', { class: 'muted' }, '本地区暂无报价')),
    h('td', {}, p.unit)));
  mount(h('h1', {}, '商品目录'), h('div', { class: 'card' }, form),
    h('div', { class: 'card' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, '商品'), h('th', {}, '品目'), h('th', { class: 'num' }, '最优报价（元）'), h('th', {}, '单位'))),
      h('tbody', {}, rows)),
    pager(list, (page) => { params.set('page', page); go(`#/?${params}`, () => catalog(me, params.toString())); })));
}

export async function product(me, id) {
  const [{ details, offers }, budgets] = await Promise.all([get(`/catalog/products/${id}/offers`), get('/budgets')]);
  const ladder = h('tbody');
  const best = () => ladderOffers.find((o) => o.eligible);
  let ladderOffers = offers;
  const drawLadder = () => ladder.replaceChildren(...ladderOffers.map((o, i) => h('tr', { class: o.eligible ? null : 'muted' },
    h('td', {}, i + 1), h('td', {}, o.supplier_name, o.supplier_score ? h('span', { class: 'muted', title: '近 12 个月考核评价均分' }, ` ★${o.supplier_score}`) : null), h('td', { class: 'num' }, show(o.price)),
    h('td', { class: 'num' }, show(o.ceiling)), h('td', { class: 'num' }, o.stock ?? '不限'),
    h('td', {}, o.eligible ? '可订购' : '本地区不可用'))));
  drawLadder();
  const line = h('select', { name: 'budget_line' }, budgets.lines.map((l) => h('option', { value: l.id }, `${l.project} ${l.line_code}（可用 ${show(l.available)}）`)));
  const quantity = h('input', { name: 'quantity', value: '1', inputmode: 'decimal' });
  const before = h('span', { class: 'big' });
  const after = h('span', { class: 'big' });
  const estimate = () => {
    const chosen = budgets.lines.find((l) => String(l.id) === line.value);
    const available = chosen ? fen(chosen.available) : null;
    const offer = best();
    const amount = offer ? lineAmount(offer.price, quantity.value) : null;
    before.textContent = yuan(available);
    after.textContent = available !== null && amount !== null ? yuan(available - amount) : '—';
  };
  line.addEventListener('change', estimate);
  quantity.addEventListener('input', estimate);
  estimate();
  const result = h('div', { class: 'ok' });
  const form = h('form', {
    class: 'inline',
    onsubmit: async (event) => {
      event.preventDefault();
      result.textContent = '';
      try {
        const placed = await post('/orders', { product: Number(id), quantity: quantity.value.trim(), budget_line: Number(line.value) });
        const o = placed.order;
        result.textContent = `已成交 ${o.filled}${details.unit}，金额 ${show(o.amount)} 元${o.cancelled !== '0' ? `，${o.cancelled} 未能成交已取消` : ''}`;
        showError(form, { message: '' });
        const fresh = await get(`/budgets?min_seq=${placed.seq}`);
        budgets.lines = fresh.lines;
        line.replaceChildren(...fresh.lines.map((l) => h('option', { value: l.id, selected: String(l.id) === line.value }, `${l.project} ${l.line_code}（可用 ${show(l.available)}）`)));
        estimate();
      } catch (failure) {
        showError(form, failure);
      }
    },
  },
  h('label', {}, '预算指标', line, h('span', { class: 'error', 'data-for': 'budget_line' })),
  h('label', {}, `数量（${details.unit}）`, quantity, h('span', { class: 'error', 'data-for': 'quantity' })),
  h('button', { type: 'submit' }, '按最优报价下单'),
  h('span', { class: 'error', 'data-for': 'form' }));
  mount(h('h1', {}, `${details.brand} ${details.model}`),
    h('p', { class: 'muted' }, `${details.category_name} · ${details.spec} · SKU ${details.sku}`),
    h('div', { class: 'grid' },
      h('div', { class: 'card' }, h('h2', {}, '报价（实时）'), h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, '供应商'), h('th', { class: 'num' }, '报价'), h('th', { class: 'num' }, '最高限价'), h('th', { class: 'num' }, '库存'), h('th', {}, ''))), ladder)),
      h('div', { class: 'card' }, h('h2', {}, '直接订购'), form,
        h('div', { class: 'stats' }, h('div', {}, h('span', { class: 'muted' }, '下单前可用（元）'), before), h('div', {}, h('span', { class: 'muted' }, '下单后可用（元，预计）'), after)),
        result)));
  await follow(`offers:${id}`, async () => {
    ladderOffers = (await get(`/catalog/products/${id}/offers`)).offers;
    drawLadder();
    ladder.classList.add('flash');
    setTimeout(() => ladder.classList.remove('flash'), 1200);
    estimate();
  });
}

export async function orders(me, arg) {
  let page = Number(new URLSearchParams(arg).get('page') ?? '1');
  const card = h('div', { class: 'card' });
  mount(h('h1', {}, '我的订单'), card);
  const read = newest(get);
  const draw = async (minSeq) => {
    const list = await read(`/trades?page=${page}&per_page=20${minSeq ? `&min_seq=${minSeq}` : ''}`);
    if (!list) return;
    const step = async (trade, name) => {
      const done = await post(`/trades/${trade}/${name}`);
      await draw(done.seq);
    };
    const rows = list.items.map((t) => h('tr', { 'data-trade': t.id },
      h('td', {}, t.id), h('td', {}, time(t.ts_ms)), h('td', {}, t.mode === 'auction' ? '竞价' : '直购'),
      h('td', { class: 'num' }, t.quantity), h('td', { class: 'num' }, show(t.unit_price)), h('td', { class: 'num' }, show(t.amount)),
      h('td', {}, STATE_NAMES[t.state] ?? t.state),
      h('td', {},
        t.state === 'delivered' ? h('button', { onclick: () => step(t.id, 'accept') }, '验收') : null,
        t.state === 'accepted' ? h('button', { onclick: () => step(t.id, 'pay') }, '支付') : null,
        t.rating ? h('span', { class: 'ok' }, `已评价（履约 ${t.rating.delivery} · 质量 ${t.rating.quality} · 服务 ${t.rating.service}）`)
          : t.state === 'accepted' || t.state === 'paid' ? ratingForm(t, draw) : null)));
    card.replaceChildren(
      h('table', {}, h('thead', {}, h('tr', {}, ['成交号', '时间', '方式', '数量', '单价', '金额', '状态', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows)),
      pager(list, (p) => { page = p; draw(); }));
  };
  await draw();
  await follow(`orders:${me.participant}`, (message) => draw(message.seq));
}

/** E-1: rate an accepted trade once, within 30 days: delivery, quality, service, 1 to 5 each. */
function ratingForm(t, redraw) {
  const mark = (name, label) => h('label', {}, label, h('select', { name }, [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, n))));
  const form = h('form', {
    class: 'inline rating',
    onsubmit: async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      try {
        const rated = await post('/ratings', { trade: t.id, delivery: Number(data.delivery), quality: Number(data.quality), service: Number(data.service) });
        form.replaceChildren(h('span', { class: 'ok' }, `已评价（供应商均分 ${rated.supplier_score}）`));
        // The list again, as of the rating: a live message may have redrawn it meanwhile, or have
        // a draw on its way that was read before the rating.
        await redraw(rated.seq);
      } catch (failure) {
        showError(form, failure);
      }
    },
  }, mark('delivery', '履约'), mark('quality', '质量'), mark('service', '服务'), h('button', { type: 'submit' }, '评价'),
  h('span', { class: 'error', 'data-for': 'form' }));
  return form;
}

export async function budgets(me) {
  const card = h('div', { class: 'card' });
  mount(h('h1', {}, '预算指标'), card);
  const read = newest(get);
  const draw = async (minSeq) => {
    const list = await read(`/budgets${minSeq ? `?min_seq=${minSeq}` : ''}`);
    if (!list) return;
    const body = h('tbody', {}, list.lines.map((l) => h('tr', {},
      h('td', {}, `${l.project} ${l.line_code}`), h('td', {}, l.fiscal_year),
      ['allocated', 'held', 'committed', 'paid', 'available'].map((k) => h('td', { class: 'num', 'data-line': l.id, 'data-figure': k }, show(l[k]))))));
    card.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, ['指标', '年度', '下达', '冻结', '已承诺', '已支付', '可用'].map((t) => h('th', {}, t)))), body));
  };
  await draw();
  await follow(`budget:${me.participant}`, (message) => draw(message.seq));
}
