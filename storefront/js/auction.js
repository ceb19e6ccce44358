// Reverse auctions (竞价): the list for each role, a purchaser's form to open one, and the live
// room. The room shows what the caller's role may see (A-5): a bidder its own rank and price, the
// bidder count, the best price in `best_price` mode; the purchaser anonymous labels; after the
// close, every bid with names. The countdown runs on the server's clock, and an extension moves it.

import { get, post } from './api.js';
import { follow } from './live.js';
import { show } from './money.js';
import { field, h, mount, pager, showError, time } from './ui.js';

const STATE_NAMES = { scheduled: '未开始', open: '竞价中', awarded: '已成交', failed: '流标', cancelled: '已撤销' };

function openForm(me) {
  const result = h('div', { class: 'ok' });
  const form = h('form', {
    class: 'inline',
    onsubmit: async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const body = {
        product: Number(data.product), quantity: data.quantity, budget_line: Number(data.budget_line),
        ceiling: data.ceiling, duration_seconds: Number(data.minutes) * 60, disclosure: data.disclosure,
      };
      if (data.category) body.category = data.category.trim();
      if (data.reserved) body.reserved = true;
      if (data.step.endsWith('%')) body.min_step_percent = data.step.slice(0, -1);
      else body.min_step = data.step;
      try {
        const opened = await post('/auctions', body);
        location.hash = `#/auction/${opened.auction.auction}`;
      } catch (failure) {
        showError(form, failure);
      }
    },
  },
  field('商品编号', 'product', { required: true, inputmode: 'numeric' }),
  field('按品目竞价（品目编码，可空）', 'category', { placeholder: '如 A02010105' }),
  field('数量', 'quantity', { value: '1' }),
  h('label', {}, '预算指标', h('select', { name: 'budget_line', id: 'auction-line' }), h('span', { class: 'error', 'data-for': 'budget_line' })),
  field('最高限价（单价）', 'ceiling', { required: true, inputmode: 'decimal' }),
  field('降价幅度（元或 %）', 'step', { value: '0.5%' }),
  field('时长（分钟）', 'minutes', { value: '30', inputmode: 'numeric' }),
  h('label', {}, '信息披露', h('select', { name: 'disclosure' }, h('option', { value: 'rank_only' }, '仅排名'), h('option', { value: 'best_price' }, '显示最低价'))),
  h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'reserved', value: '1' }), '专门面向中小企业'),
  h('button', { type: 'submit' }, '发起竞价'),
  h('span', { class: 'error', 'data-for': 'form' }), result);
  get('/budgets').then((b) => form.querySelector('#auction-line').replaceChildren(
    ...b.lines.map((l) => h('option', { value: l.id }, `${l.project} ${l.line_code}（可用 ${show(l.available)}）`))));
  return h('div', { class: 'card' }, h('h2', {}, '发起网上竞价'), form);
}

export async function auctionList(me, arg) {
  let page = Number(new URLSearchParams(arg).get('page') ?? '1');
  const card = h('div', { class: 'card' });
  mount(h('h1', {}, me.role === 'supplier' ? '竞价大厅' : '网上竞价'), me.role === 'purchaser' ? openForm(me) : '', card);
  const draw = async () => {
    const list = await get(`/auctions?page=${page}&per_page=20`);
    const rows = list.items.map((a) => h('tr', {},
      h('td', {}, h('a', { href: `#/auction/${a.auction}` }, `竞价 ${a.auction}`)), h('td', {}, a.product),
      h('td', { class: 'num' }, a.quantity), h('td', { class: 'num' }, show(a.ceiling)),
      h('td', {}, h('span', { class: `pill ${a.state}` }, STATE_NAMES[a.state] ?? a.state)),
      h('td', {}, time(a.end_ms)), h('td', { class: 'num' }, a.bidders)));
    card.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, ['竞价', '商品', '数量', '最高限价', '状态', '截止', '竞价人数'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)), pager(list, (p) => { page = p; draw(); }));
  };
  await draw();
}

export async function auctionRoom(me, id) {
  const view = await get(`/auctions/${id}`);
  let offset = view.server_ms - Date.now();
  const el = {
    state: h('span', { class: 'pill' }), countdown: h('span', { class: 'big', id: 'countdown' }),
    bidders: h('span', { class: 'big', id: 'bidders' }), best: h('span', { class: 'big', id: 'best-price' }),
    rank: h('span', { class: 'big', id: 'my-rank' }), mine: h('span', { class: 'big', id: 'my-price' }),
    extended: h('span', { class: 'muted', id: 'extended' }), ranking: h('tbody', { id: 'ranking' }),
    results: h('div', { id: 'results' }), feedback: h('div', { class: 'ok', id: 'bid-feedback' }),
  };
  const apply = (v) => {
    if (!v) return;
    if (v.kind === 'auction' || v.kind === undefined) {
      Object.assign(view, v);
      if (v.server_ms) offset = v.server_ms - Date.now();
    }
    if (v.kind === 'standing') view.mine = v;
    if (v.kind === 'ranking') view.ranking = v.ranking;
    if (v.kind === 'results') { view.results = v; view.state = v.state; }
    draw();
  };
  const draw = () => {
    el.state.textContent = STATE_NAMES[view.state] ?? view.state;
    el.state.className = `pill ${view.state}`;
    el.bidders.textContent = view.bidders ?? '—';
    el.best.textContent = view.best_price ? show(view.best_price) : (view.disclosure === 'rank_only' ? '不公开' : '—');
    el.rank.textContent = view.mine?.rank ?? '—';
    el.mine.textContent = view.mine?.my_price ? show(view.mine.my_price) : '—';
    el.extended.textContent = view.extended ? `已延时，截止 ${time(view.end_ms)}（最晚 ${time(view.latest_end_ms)}）` : `截止 ${time(view.end_ms)}`;
    el.ranking.replaceChildren(...(view.ranking ?? []).map((r) => h('tr', {}, h('td', {}, r.rank), h('td', {}, r.label), h('td', { class: 'num' }, r.price ? show(r.price) : '—'))));
    if (view.results) {
      el.results.replaceChildren(h('h2', {}, view.results.state === 'awarded' ? `成交：${view.results.winner?.name}，${show(view.results.winner?.price)} 元` : '流标：有效竞价人不足'),
        view.results.state === 'awarded' ? h('p', {}, h('a', { href: `#/award/${id}`, id: 'award-link' }, '采购结果公示、质疑与投诉')) : null,
        h('table', {}, h('thead', {}, h('tr', {}, ['排名', '供应商', '统一社会信用代码', '报价'].map((t) => h('th', {}, t)))),
          h('tbody', {}, view.results.ranking.map((r, i) => h('tr', { class: r.supplier === me.participant ? 'mine' : null }, h('td', {}, i + 1), h('td', {}, r.name, r.supplier_score ? h('span', { class: 'muted', title: '近 12 个月考核评价均分' }, ` ★${r.supplier_score}`) : null), h('td', {}, r.credit_code), h('td', { class: 'num' }, show(r.price)))))));
    }
    bidForm.hidden = !(me.role === 'supplier' && view.state === 'open');
  };
  const tick = () => {
    const left = view.end_ms - (Date.now() + offset);
    if (view.state === 'scheduled') el.countdown.textContent = `距开始 ${Math.max(0, Math.ceil((view.starts_ms - Date.now() - offset) / 1000))} 秒`;
    else if (view.state !== 'open') el.countdown.textContent = '已结束';
    else {
      const s = Math.max(0, Math.ceil(left / 1000));
      el.countdown.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
      el.countdown.parentElement.classList.toggle('closing', left < (view.soft_close_seconds ?? 0) * 1000);
    }
  };
  const price = h('input', { name: 'price', inputmode: 'decimal', size: 12 });
  // In an auction over a category each bid names its product of the category (A-1).
  const product = h('input', { name: 'product', inputmode: 'numeric', size: 8, value: view.product });
  const bidForm = h('form', {
    class: 'inline', id: 'bid-form',
    onsubmit: async (event) => {
      event.preventDefault();
      el.feedback.textContent = '';
      try {
        const bid = { price: price.value.trim() };
        if (view.category && product.value.trim()) bid.product = Number(product.value.trim());
        const placed = await post(`/auctions/${id}/bids`, bid);
        showError(bidForm, { message: '' });
        apply(placed.auction);
        el.feedback.textContent = `出价 ${show(placed.bid.price)} 已受理，当前排名第 ${placed.auction.mine.rank}`;
      } catch (failure) {
        showError(bidForm, failure);
      }
    },
  }, view.category ? h('label', {}, `投标商品编号（品目 ${view.category}）`, product, h('span', { class: 'error', 'data-for': 'product' })) : null,
  h('label', {}, '我的报价（单价，元）', price, h('span', { class: 'error', 'data-for': 'price' })),
  h('button', { type: 'submit' }, '出价'), h('span', { class: 'error', 'data-for': 'form' }));
  mount(h('h1', {}, `网上竞价 ${id} `, el.state),
    h('p', { class: 'muted' }, `${view.category ? `品目 ${view.category}（参考商品 ${view.product}）` : `商品 ${view.product}`} · 数量 ${view.quantity} · 最高限价 ${show(view.ceiling)} · 降价幅度 ${show(view.step)} · 至少 ${view.min_bidders} 家${view.reserved ? ' · 专门面向中小企业' : ''}`),
    h('div', { class: 'card stats' },
      h('div', {}, h('span', { class: 'muted' }, '剩余时间'), el.countdown, el.extended),
      h('div', {}, h('span', { class: 'muted' }, '竞价人数'), el.bidders),
      h('div', {}, h('span', { class: 'muted' }, '当前最低价'), el.best),
      me.role === 'supplier' ? h('div', {}, h('span', { class: 'muted' }, '我的排名'), el.rank) : null,
      me.role === 'supplier' ? h('div', {}, h('span', { class: 'muted' }, '我的报价'), el.mine) : null),
    me.role === 'supplier' ? h('div', { class: 'card' }, bidForm, el.feedback) : null,
    me.role === 'purchaser' ? h('div', { class: 'card' }, h('h2', {}, '排名（匿名）'), h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, '排名'), h('th', {}, '竞价人'), h('th', { class: 'num' }, '报价'))), el.ranking)) : null,
    h('div', { class: 'card' }, el.results));
  draw();
  tick();
  const timer = setInterval(() => { if (!document.body.contains(el.countdown)) clearInterval(timer); else tick(); }, 250);
  await follow(`auction:${id}`, (message) => apply(message.event ?? message.state));
}
