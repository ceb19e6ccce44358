// A supplier's pages: its framework agreements with live offer editing within the ceiling (D-6),
// and its trades with the delivery step.

import { get, post } from './api.js';
import { show } from './money.js';
import { h, mount, pager, showError, time } from './ui.js';

export async function agreements(me, arg) {
  let page = Number(new URLSearchParams(arg).get('page') ?? '1');
  const card = h('div', { class: 'card' });
  mount(h('h1', {}, '协议与报价'), h('p', { class: 'muted' }, '报价不得高于协议最高限价；改价即时生效，并重置该报价的时间优先。'), card);
  const draw = async (minSeq) => {
    const list = await get(`/agreements?page=${page}&per_page=20${minSeq ? `&min_seq=${minSeq}` : ''}`);
    const rows = list.items.map((a) => {
      const price = h('input', { name: 'price', value: a.offer ?? '', inputmode: 'decimal', size: 10 });
      const form = h('form', {
        class: 'inline',
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const done = await post('/offers', { agreement: a.id, price: price.value.trim() });
            await draw(done.seq);
          } catch (failure) {
            showError(form, failure);
          }
        },
      }, price, h('button', { type: 'submit' }, '改价'), h('span', { class: 'error', 'data-for': 'price' }), h('span', { class: 'error', 'data-for': 'form' }));
      return h('tr', { 'data-agreement': a.id },
        h('td', {}, a.product_name), h('td', {}, a.regions.join('、')),
        h('td', { class: 'num' }, show(a.ceiling)), h('td', { class: 'num' }, a.offer ? show(a.offer) : '—'),
        h('td', { class: 'num' }, a.stock ?? '不限'), h('td', {}, a.valid_now ? `至 ${a.valid_to}` : '已失效'), h('td', {}, form));
    });
    card.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, ['商品', '覆盖地区', '最高限价', '当前报价', '库存', '有效期', '新报价'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)), pager(list, (p) => { page = p; draw(); }));
  };
  await draw();
}

export async function trades(me) {
  let page = 1;
  const card = h('div', { class: 'card' });
  mount(h('h1', {}, '成交与履约'), card);
  const draw = async (minSeq) => {
    const list = await get(`/trades?page=${page}&per_page=20${minSeq ? `&min_seq=${minSeq}` : ''}`);
    const rows = list.items.map((t) => h('tr', {},
      h('td', {}, t.id), h('td', {}, time(t.ts_ms)), h('td', { class: 'num' }, t.quantity),
      h('td', { class: 'num' }, show(t.amount)), h('td', {}, t.state),
      h('td', {}, t.state === 'struck' ? h('button', { onclick: async () => draw((await post(`/trades/${t.id}/deliver`)).seq) }, '发货') : null)));
    card.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, ['成交号', '时间', '数量', '金额', '状态', ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows)), pager(list, (p) => { page = p; draw(); }));
  };
  await draw();
}
