// Negotiated purchase (协商采购): a purchasing unit proposes a price below an agreement supplier's
// offer; whoever's turn it is counters, accepts or rejects. Only the two parties ever see a
// negotiation; the page follows the caller's own `negotiations:<participant>` topic and re-reads
// the list when one moves.

import { get, post } from './api.js';
import { follow } from './live.js';
import { show } from './money.js';
import { field, h, mount, newest, pager, showError, time } from './ui.js';

const STATE_NAMES = { proposed: '待供应商答复', countered: '待采购单位答复', accepted: '已成交', rejected: '已拒绝', expired: '已过期' };

function proposeForm(onDone) {
  const form = h('form', {
    class: 'inline', id: 'propose-form',
    onsubmit: async (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      try {
        await post('/negotiations', {
          agreement: Number(data.agreement), quantity: data.quantity, budget_line: Number(data.budget_line),
          price: data.price, respond_hours: Number(data.respond_hours),
        });
        showError(form, { message: '' });
        onDone();
      } catch (failure) {
        showError(form, failure);
      }
    },
  },
  field('协议编号', 'agreement', { required: true, inputmode: 'numeric' }),
  field('数量', 'quantity', { value: '1' }),
  h('label', {}, '预算指标', h('select', { name: 'budget_line', id: 'negotiation-line' }), h('span', { class: 'error', 'data-for': 'budget_line' })),
  field('议价单价（低于当前报价）', 'price', { required: true, inputmode: 'decimal' }),
  field('答复时限（小时）', 'respond_hours', { value: '48', inputmode: 'numeric', size: 4 }),
  h('button', { type: 'submit' }, '发起议价'),
  h('span', { class: 'error', 'data-for': 'form' }));
  get('/budgets').then((b) => form.querySelector('#negotiation-line').replaceChildren(
    ...b.lines.map((l) => h('option', { value: l.id }, `${l.project} ${l.line_code}（可用 ${show(l.available)}）`))));
  return h('div', { class: 'card' }, h('h2', {}, '发起议价'), form,
    h('p', { class: 'muted' }, '议价仅双方可见；成交后与其他成交一样公开。'));
}

function answerTools(n, redraw) {
  if (!n.your_turn) return h('span', { class: 'muted' }, n.state === 'proposed' || n.state === 'countered' ? '等待对方答复' : '');
  const price = h('input', { name: 'price', inputmode: 'decimal', size: 10 });
  const form = h('form', {
    class: 'inline',
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await post(`/negotiations/${n.id}/counter`, { price: price.value.trim() });
        redraw();
      } catch (failure) {
        showError(form, failure);
      }
    },
  }, h('label', {}, n.you_are === 'supplier' ? '还价' : '再次议价', price, h('span', { class: 'error', 'data-for': 'price' })),
  h('button', { type: 'submit', class: 'plain' }, '提交'),
  h('button', {
    type: 'button', class: 'accept',
    onclick: async () => { try { await post(`/negotiations/${n.id}/accept`); redraw(); } catch (failure) { showError(form, failure); } },
  }, `接受 ${show(n.price)}`),
  h('button', {
    type: 'button', class: 'plain',
    onclick: async () => { try { await post(`/negotiations/${n.id}/reject`); redraw(); } catch (failure) { showError(form, failure); } },
  }, '拒绝'),
  h('span', { class: 'error', 'data-for': 'form' }));
  return form;
}

export async function negotiations(me, arg) {
  let page = Number(new URLSearchParams(arg).get('page') ?? '1');
  const card = h('div', { class: 'card', id: 'negotiations' });
  const read = newest(get);
  const draw = async () => {
    const list = await read(`/negotiations?page=${page}&per_page=20`);
    if (!list) return;
    const rows = list.items.map((n) => h('tr', { 'data-negotiation': n.id },
      h('td', {}, `议价 ${n.id}`),
      h('td', {}, me.role === 'supplier' ? n.purchaser.name : n.supplier.name),
      h('td', {}, `${n.product_name ?? n.product} × ${n.quantity}`),
      h('td', { class: 'num' }, show(n.offer)),
      h('td', { class: 'num price' }, show(n.price)),
      h('td', {}, h('span', { class: `pill ${n.state}` }, STATE_NAMES[n.state] ?? n.state)),
      h('td', {}, time(n.respond_by_ms)),
      h('td', {}, answerTools(n, draw))));
    card.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, ['议价', me.role === 'supplier' ? '采购单位' : '供应商', '商品', '协议报价', '当前价格', '状态', '答复时限', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)), list.total ? '' : h('p', { class: 'muted' }, '暂无议价。'), pager(list, (p) => { page = p; draw(); }));
  };
  mount(h('h1', {}, '协商议价'), me.role === 'purchaser' ? proposeForm(draw) : '', card);
  await draw();
  await follow(`negotiations:${me.participant}`, (message) => { if (message.type === 'event') draw(); });
}
