// Online inquiry (网上询价): the list for each role, a purchaser's form to open one, and the
// inquiry page. Before the opening nobody sees anything of the quotes, so the page shows only the
// terms, the countdown and how earlier rounds ended. An invited supplier seals its quote here and
// keeps the receipt (in this browser and as a file); once the results are published, the page
// recomputes each kept receipt's SHA-256 commitment and checks it against the published one.

import { get, post } from './api.js';
import { follow } from './live.js';
import { lineAmount, show, yuan } from './money.js';
import { field, h, mount, pager, showError, time } from './ui.js';

const STATE_NAMES = {
  collecting: '报价中', opening: '开启中', round_failed: '本轮失败', awarded: '已成交', failed: '已失败', cancelled: '已撤销',
};
const OUTCOME_NAMES = {
  failed_unopened: (o) => `有效报价供应商 ${o.suppliers} 家，不足 3 家，未开启`,
  failed_opened: (o) => `有效报价 ${o.valid_quotes} 份，不足 3 份`,
  awarded: (o) => `成交：${o.winner?.name}，${show(o.amount)} 元`,
  cancelled: () => '已撤销',
};
const DAY_MS = 86_400_000;

function outcomeText(outcome) {
  return outcome ? (OUTCOME_NAMES[outcome.result]?.(outcome) ?? outcome.result) : '进行中';
}

/** `datetime-local` text for a time a week from now, 17:00 local. */
function aWeekOut() {
  const d = new Date(Date.now() + 7 * DAY_MS);
  d.setHours(17, 0, 0, 0);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T17:00`;
}

function ids(text) {
  return String(text ?? '').split(/[\s,，、]+/).filter(Boolean).map(Number);
}

function openForm() {
  const lines = h('div', { class: 'lines' });
  const addLine = () => lines.append(h('div', { class: 'inline line' },
    field('商品编号', 'product', { required: true, inputmode: 'numeric' }),
    field('数量', 'quantity', { value: '1' }),
    field('最高限价（单价）', 'ceiling', { required: true, inputmode: 'decimal' })));
  addLine();
  const form = h('form', {
    id: 'inquiry-form',
    onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const products = data.getAll('product');
      const quantities = data.getAll('quantity');
      const ceilings = data.getAll('ceiling');
      const body = {
        lines: products.map((p, i) => ({ product: Number(p), quantity: quantities[i], ceiling: ceilings[i] })),
        budget_line: Number(data.get('budget_line')),
        deadline_ms: new Date(data.get('deadline')).getTime(),
        invited: ids(data.get('invited')),
        max_rounds: Number(data.get('max_rounds')),
        reserved: data.get('reserved') === '1',
      };
      try {
        const opened = await post('/inquiries', body);
        location.hash = `#/inquiry/${opened.inquiry.id}`;
      } catch (failure) {
        showError(form, failure);
      }
    },
  },
  lines,
  h('button', { type: 'button', class: 'plain', onclick: addLine }, '增加一行'),
  h('div', { class: 'inline' },
    h('label', {}, '预算指标', h('select', { name: 'budget_line', id: 'inquiry-line' }), h('span', { class: 'error', 'data-for': 'budget_line' })),
    field('报价截止时间', 'deadline', { type: 'datetime-local', value: aWeekOut(), required: true }),
    field('邀请供应商编号（至少 3 家，逗号分隔）', 'invited', { required: true, size: 30 }),
    field('最多轮次', 'max_rounds', { value: '2', inputmode: 'numeric', size: 4 }),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'reserved', value: '1' }), '专门面向中小企业（仅邀请中小企业）')),
  h('p', { class: 'muted' }, '报价截止前，任何人（包括采购单位和采购中心）都无法得知报价的内容、报价人或报价数量；截止后自动开启。'),
  h('button', { type: 'submit' }, '发起询价'),
  h('span', { class: 'error', 'data-for': 'form' }));
  get('/budgets').then((b) => form.querySelector('#inquiry-line').replaceChildren(
    ...b.lines.map((l) => h('option', { value: l.id }, `${l.project} ${l.line_code}（可用 ${show(l.available)}）`))));
  return h('div', { class: 'card' }, h('h2', {}, '发起网上询价'), form);
}

export async function inquiryList(me, arg) {
  let page = Number(new URLSearchParams(arg).get('page') ?? '1');
  const card = h('div', { class: 'card', id: 'inquiries' });
  mount(h('h1', {}, me.role === 'supplier' ? '询价邀请' : '网上询价'), me.role === 'purchaser' ? openForm() : '', card);
  const draw = async () => {
    const list = await get(`/inquiries?page=${page}&per_page=20`);
    const rows = list.items.map((q) => h('tr', {},
      h('td', {}, h('a', { href: `#/inquiry/${q.id}` }, `询价 ${q.id}`)),
      h('td', {}, q.purchaser.name),
      h('td', {}, q.lines.map((l) => `${l.name ?? `商品 ${l.product}`} × ${l.quantity}`).join('；')),
      h('td', {}, h('span', { class: `pill ${q.state}` }, STATE_NAMES[q.state] ?? q.state)),
      h('td', {}, `${q.round} / ${q.max_rounds}`),
      h('td', {}, time(q.deadline_ms))));
    card.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, ['询价', '采购单位', '采购内容', '状态', '轮次', '报价截止'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)), list.total ? '' : h('p', { class: 'muted' }, '暂无询价。'), pager(list, (p) => { page = p; draw(); }));
  };
  await draw();
}

/** Receipts this browser keeps, per inquiry: what a supplier needs to check the results later. */
function keptReceipts(id) {
  try { return JSON.parse(localStorage.getItem(`receipts:${id}`) ?? '[]'); } catch { return []; }
}

function keepReceipt(receipt) {
  const kept = keptReceipts(receipt.inquiry).filter((r) => r.commitment !== receipt.commitment);
  kept.push(receipt);
  localStorage.setItem(`receipts:${receipt.inquiry}`, JSON.stringify(kept));
}

function download(receipt) {
  const blob = new Blob([JSON.stringify(receipt, null, 2)], { type: 'application/json' });
  const link = h('a', { href: URL.createObjectURL(blob), download: `询价${receipt.inquiry}-第${receipt.round}轮-回执-${receipt.receipt_seq}.json` });
  link.click();
  URL.revokeObjectURL(link.href);
}

/** The commitment as the results describe it, recomputed in the browser with Web Crypto. */
export async function commitment(inquiry, round, supplier, withdrawn, prices, nonceHex) {
  const bytes = [...new TextEncoder().encode('gp-quote-v1')];
  const be = (value, width) => {
    let v = BigInt(value);
    const out = [];
    for (let i = 0; i < width; i += 1) { out.unshift(Number(v & 0xffn)); v >>= 8n; }
    return out;
  };
  bytes.push(...be(inquiry, 8), ...be(round, 4), ...be(supplier, 8), withdrawn ? 1 : 0, ...be(prices.length, 4));
  for (const price of prices) {
    const [whole, decimals = ''] = price.split('.');
    bytes.push(...be(BigInt(whole) * 10000n + BigInt(decimals.padEnd(4, '0')), 8));
  }
  for (let i = 0; i < nonceHex.length; i += 2) bytes.push(parseInt(nonceHex.slice(i, i + 2), 16));
  const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(bytes));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function receiptCard(receipt, warnings = []) {
  return h('div', { class: 'card receipt', id: 'receipt' },
    h('h2', {}, receipt.kind === 'withdrawal' ? '撤回回执' : '报价回执（请妥善保存）'),
    h('table', {}, h('tbody', {},
      h('tr', {}, h('th', {}, '询价 / 轮次'), h('td', {}, `${receipt.inquiry} / 第 ${receipt.round} 轮`)),
      h('tr', {}, h('th', {}, '报价'), h('td', {}, receipt.kind === 'withdrawal' ? '已撤回' : receipt.prices.map(show).join('；'))),
      h('tr', {}, h('th', {}, '承诺值 SHA-256'), h('td', { class: 'mono', id: 'receipt-commitment' }, receipt.commitment)),
      h('tr', {}, h('th', {}, '随机数'), h('td', { class: 'mono' }, receipt.nonce)),
      h('tr', {}, h('th', {}, '受理序号'), h('td', {}, receipt.receipt_seq)))),
    warnings.map((w) => h('p', { class: 'error' }, w)),
    h('p', { class: 'muted' }, '开启后将公布全部回执；可凭承诺值与随机数核对报价未被改动。'),
    h('button', { class: 'plain', onclick: () => download(receipt) }, '下载回执'));
}

function quoteForm(view, onReceipt) {
  const prices = view.lines.map((l, i) => h('label', {}, `第 ${i + 1} 行单价（${l.name ?? `商品 ${l.product}`} × ${l.quantity}，限价 ${show(l.ceiling)}）`,
    h('input', { name: 'prices', inputmode: 'decimal', required: true }), h('span', { class: 'error', 'data-for': `prices[${i}]` })));
  const total = h('span', { class: 'big', id: 'quote-total' }, '—');
  const form = h('form', {
    class: 'inline', id: 'quote-form',
    oninput: () => {
      const amounts = view.lines.map((l, i) => lineAmount(form.querySelectorAll('input[name=prices]')[i].value, l.quantity));
      total.textContent = amounts.every((a) => a !== null) ? yuan(amounts.reduce((a, b) => a + b, 0n)) : '—';
    },
    onsubmit: async (event) => {
      event.preventDefault();
      const body = { prices: [...form.querySelectorAll('input[name=prices]')].map((i) => i.value.trim()) };
      try {
        const sealed = await post(`/inquiries/${view.id}/quotes`, body);
        showError(form, { message: '' });
        onReceipt(sealed.receipt, sealed.warnings);
      } catch (failure) {
        showError(form, failure);
      }
    },
  }, prices, h('div', {}, h('span', { class: 'muted' }, '合计 '), total),
  h('button', { type: 'submit' }, '密封提交（截止前可修改）'),
  h('button', {
    type: 'button', class: 'plain', id: 'withdraw',
    onclick: async () => {
      try {
        const sealed = await post(`/inquiries/${view.id}/quotes/withdraw`);
        onReceipt(sealed.receipt, []);
      } catch (failure) {
        showError(form, failure);
      }
    },
  }, '撤回报价'),
  h('span', { class: 'error', 'data-for': 'form' }));
  return h('div', { class: 'card' }, h('h2', {}, '我的报价'), form);
}

function purchaserTools(view, refresh) {
  const tools = [];
  if (view.invited) {
    tools.push(h('div', { class: 'card' }, h('h2', {}, '本轮邀请的供应商'),
      h('ul', {}, view.invited.map((p) => h('li', {}, `${p.name}（${p.credit_code}）`)))));
  }
  if (view.state === 'round_failed' && view.round < view.max_rounds) {
    const form = h('form', {
      class: 'inline', id: 'next-round',
      onsubmit: async (event) => {
        event.preventDefault();
        const data = new FormData(form);
        try {
          await post(`/inquiries/${view.id}/rounds`, { deadline_ms: new Date(data.get('deadline')).getTime(), invite: ids(data.get('invite')) });
          refresh();
        } catch (failure) {
          showError(form, failure);
        }
      },
    }, field('新的报价截止时间', 'deadline', { type: 'datetime-local', value: aWeekOut() }),
    field('增加邀请的供应商编号', 'invite', { size: 24 }),
    h('button', { type: 'submit' }, '开启下一轮'), h('span', { class: 'error', 'data-for': 'form' }));
    tools.push(h('div', { class: 'card' }, h('h2', {}, '下一轮'), form));
  }
  if (view.state === 'collecting' || view.state === 'round_failed') {
    const form = h('form', {
      class: 'inline',
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await post(`/inquiries/${view.id}/end`, { reason: new FormData(form).get('reason') });
          refresh();
        } catch (failure) {
          showError(form, failure);
        }
      },
    }, field('原因', 'reason', { required: true, size: 30 }),
    h('button', { type: 'submit', class: 'plain' }, view.state === 'collecting' ? '撤销询价' : '终止询价'),
    h('span', { class: 'error', 'data-for': 'form' }));
    tools.push(h('div', { class: 'card' }, form));
  }
  return tools;
}

async function resultsCard(view, me) {
  const results = await get(`/inquiries/${view.id}/results`);
  const checks = h('div', { id: 'receipt-checks' });
  const published = new Set(results.rounds.flatMap((r) => r.receipts.map((x) => x.commitment)));
  for (const receipt of keptReceipts(view.id)) {
    const recomputed = await commitment(receipt.inquiry, receipt.round, receipt.supplier, receipt.kind === 'withdrawal', receipt.prices, receipt.nonce);
    const ok = recomputed === receipt.commitment && published.has(receipt.commitment);
    checks.append(h('p', { class: ok ? 'ok' : 'error' }, `回执 ${receipt.receipt_seq}：${ok ? '已公布，承诺值核对一致' : '核对不一致'}`));
  }
  const rounds = results.rounds.map((r) => h('div', {},
    h('h2', {}, `第 ${r.number} 轮 · ${outcomeText(r.outcome)}`),
    r.quotes.length ? h('table', {}, h('thead', {}, h('tr', {}, ['供应商', '统一社会信用代码', '单价', '合计', '评审价（小微企业扣除后）', '承诺值', '结果'].map((t) => h('th', {}, t)))),
      h('tbody', {}, r.quotes.map((q) => h('tr', { class: q.supplier.id === me.participant ? 'mine' : null },
        h('td', {}, q.supplier.name), h('td', {}, q.supplier.credit_code),
        h('td', { class: 'num' }, (q.prices ?? []).map(show).join('；')), h('td', { class: 'num' }, show(q.total)),
        h('td', { class: 'num' }, show((r.ranked_at ?? []).find((x) => x.supplier === q.supplier.id)?.ranked_at ?? q.total)),
        h('td', { class: 'mono' }, `${q.commitment.slice(0, 16)}…`), h('td', {}, q.defect ? `无效（${q.defect.reason}）` : '有效'))))) : h('p', { class: 'muted' }, '本轮报价未开启。'),
    h('p', { class: 'muted' }, `公布回执 ${r.receipts.length} 份`)));
  const award = view.state === 'awarded' ? h('p', {}, h('a', { href: `#/award/${view.id}`, id: 'award-link' }, '采购结果公示、质疑与投诉')) : null;
  return h('div', { class: 'card', id: 'results' }, h('h2', {}, '开启结果'), award, checks, rounds);
}

export async function inquiryRoom(me, id) {
  let view = await get(`/inquiries/${id}`);
  const countdown = h('span', { class: 'big', id: 'countdown' });
  const body = h('div', {});
  const receipts = h('div', {});
  const drawReceipt = (receipt, warnings) => {
    keepReceipt(receipt);
    receipts.replaceChildren(receiptCard(receipt, warnings));
  };
  const refresh = async () => {
    view = await get(`/inquiries/${id}`);
    draw();
  };
  const draw = async () => {
    const state = h('span', { class: `pill ${view.state}` }, STATE_NAMES[view.state] ?? view.state);
    const parts = [
      h('h1', {}, `网上询价 ${view.id} `, state),
      h('p', { class: 'muted' }, `${view.purchaser.name} · 第 ${view.round} / ${view.max_rounds} 轮 · 报价截止 ${time(view.deadline_ms)}`),
      h('div', { class: 'card stats' },
        h('div', {}, h('span', { class: 'muted' }, '距报价截止'), countdown),
        h('div', {}, h('span', { class: 'muted' }, '报价'), h('span', { class: 'big' }, view.state === 'collecting' ? '密封中' : '已固定'))),
      h('div', { class: 'card' }, h('table', {}, h('thead', {}, h('tr', {}, ['行', '商品', '数量', '最高限价'].map((t) => h('th', {}, t)))),
        h('tbody', {}, view.lines.map((l, i) => h('tr', {}, h('td', {}, i + 1), h('td', {}, `${l.name ?? ''}（${l.product}）`), h('td', { class: 'num' }, `${l.quantity} ${l.unit ?? ''}`), h('td', { class: 'num' }, show(l.ceiling))))))),
      view.rounds.filter((r) => r.outcome).map((r) => h('p', { class: 'muted' }, `第 ${r.number} 轮：${outcomeText(r.outcome)}`)),
    ];
    if (me.role === 'supplier' && view.may_quote) parts.push(quoteForm(view, drawReceipt), receipts);
    if (me.role === 'purchaser') parts.push(...purchaserTools(view, refresh));
    if (view.results_published) parts.push(await resultsCard(view, me));
    body.replaceChildren(...parts.flat());
  };
  const tick = () => {
    const left = view.deadline_ms - Date.now();
    if (view.state !== 'collecting') countdown.textContent = '已截止';
    else {
      const s = Math.max(0, Math.floor(left / 1000));
      const days = Math.floor(s / 86400);
      const clock = `${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
      countdown.textContent = days ? `${days} 天 ${clock}` : clock;
    }
  };
  mount(body);
  await draw();
  tick();
  const timer = setInterval(() => { if (!document.body.contains(countdown)) clearInterval(timer); else tick(); }, 1000);
  await follow(`inquiry:${id}`, (message) => { if (message.type === 'event') refresh(); });
}
