// After the award (C-1 to C-5): the list of awards a participant is party to or oversees, and one
// award with its ranking, trades and challenges. A supplier that took part files a challenge and,
// dismissed or unanswered, a complaint; the purchaser answers, awards the next-ranked or fails the
// deal; the regulator suspends and rules. Overdue payments (P-6) have their own list.

import { get, post } from './api.js';
import { follow } from './live.js';
import { show } from './money.js';
import { h, mount, pager, showError, time } from './ui.js';

const AWARD_STATES = { provisional: '公示期（未生效）', final: '已生效', vacant: '待重新确定', failed: '已终止' };
const CHALLENGE_STATES = {
  filed: '待答复', dismissed: '质疑不成立', upheld: '质疑成立', unanswered: '逾期未答复',
  complained: '投诉处理中', complaint_dismissed: '投诉驳回', complaint_upheld: '投诉成立',
};
const MODES = { auction: '网上竞价', inquiry: '网上询价' };

export async function awardList(me, arg) {
  const query = new URLSearchParams(arg);
  let page = Number(query.get('page') ?? '1');
  const pending = query.get('pending') === 'true';
  const card = h('div', { class: 'card' });
  const title = { purchaser: '采购结果与质疑', supplier: '质疑与投诉', operator: '投诉处理', analyst: '采购结果' }[me.role];
  mount(h('h1', {}, title),
    h('p', { class: 'muted' }, '成交结果公示七个工作日后生效；参与的供应商可在此期间提出质疑，对答复不满意或逾期未答复的，可向监管部门投诉。'),
    h('p', {}, h('a', { href: pending ? '#/awards' : '#/awards?pending=true' }, pending ? '全部' : '只看待处理的质疑与投诉')),
    card);
  const draw = async () => {
    const list = await get(`/awards?page=${page}&per_page=20${pending ? '&pending=true' : ''}`);
    const rows = list.items.map((a) => h('tr', { 'data-deal': a.deal },
      h('td', {}, h('a', { href: `#/award/${a.deal}` }, a.deal)), h('td', {}, MODES[a.mode] ?? a.mode),
      h('td', {}, a.ranking[a.rank - 1]?.name ?? '—'), h('td', { class: 'num' }, a.ranking[a.rank - 1] ? show(a.ranking[a.rank - 1].amount) : '—'),
      h('td', {}, h('span', { class: `pill ${a.state}` }, AWARD_STATES[a.state] ?? a.state), a.suspended ? h('span', { class: 'pill failed' }, '已暂停') : null),
      h('td', {}, time(a.period_ends_ms)), h('td', { class: 'num' }, a.challenges.length)));
    card.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, ['项目', '方式', '成交供应商', '成交金额', '状态', '公示期至', '质疑'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows)), pager(list, (p) => { page = p; draw(); }));
  };
  await draw();
}

/** A form of one text area (and, for decisions, upheld or dismissed) posting to `path`. */
function textForm({ name, label, button, path, decision, body, done }) {
  const text = h('textarea', { name, rows: 3, cols: 60, required: true });
  const upheld = decision ? h('select', { name: 'upheld' }, h('option', { value: 'false' }, decision[0]), h('option', { value: 'true' }, decision[1])) : null;
  const form = h('form', {
    class: 'stack', 'data-form': name,
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const reply = await post(path, body(text.value.trim(), upheld?.value === 'true'));
        done(reply.award);
      } catch (failure) {
        showError(form, failure);
      }
    },
  }, h('label', {}, label, text, h('span', { class: 'error', 'data-for': name })), upheld,
  h('button', { type: 'submit' }, button), h('span', { class: 'error', 'data-for': 'form' }));
  return form;
}

export async function awardPage(me, deal) {
  let view = await get(`/deals/${deal}/award`);
  const body = h('div', {});
  // Answers and feed reloads may arrive out of order: a view never goes back to an older one,
  // and one that is no newer changes nothing on the page.
  const redraw = (next) => {
    if (!next || next.as_of_seq <= view.as_of_seq) return;
    const changed = JSON.stringify({ ...next, as_of_seq: 0 }) !== JSON.stringify({ ...view, as_of_seq: 0 });
    view = next;
    if (changed) draw();
  };
  // Each form is made once and kept across redraws, so that what someone is typing survives a
  // change arriving live.
  const forms = new Map();
  const kept = (key, make) => {
    if (!forms.has(key)) forms.set(key, make());
    return forms.get(key);
  };
  const reload = async (seq) => redraw(await get(`/deals/${deal}/award${seq ? `?min_seq=${seq}` : ''}`));
  const path = (rest) => `/deals/${deal}/${rest}`;

  const challengeCard = (c) => {
    const steps = [
      h('p', {}, h('strong', {}, `${c.name} 的质疑`), ` · ${time(c.filed_ms)} · `, h('span', { class: 'pill', 'data-state': c.state }, CHALLENGE_STATES[c.state] ?? c.state)),
      h('p', {}, '质疑事项：', c.grounds),
      c.reply ? h('p', {}, `采购人答复（${time(c.answered_ms)}）：`, c.reply) : h('p', { class: 'muted' }, `采购人应于 ${time(c.answer_due_ms)} 前答复`),
      c.answer_overdue ? h('p', { class: 'error' }, '采购人逾期未答复') : null,
      c.complaint ? h('p', {}, `投诉（${time(c.complained_ms)}）：`, c.complaint) : null,
      c.ruling ? h('p', {}, `处理决定（${time(c.ruled_ms)}）：`, c.ruling) : (c.ruling_due_ms ? h('p', { class: 'muted' }, `监管部门应于 ${time(c.ruling_due_ms)} 前作出处理决定`) : null),
      c.ruling_overdue ? h('p', { class: 'error' }, '处理决定已逾期') : null,
    ];
    if (me.role === 'purchaser' && (c.state === 'filed' || c.state === 'unanswered')) {
      steps.push(kept(`reply-${c.challenger}`, () => textForm({ name: 'reply', label: '答复', button: '提交答复', path: path(`challenges/${c.challenger}/answer`),
        decision: ['质疑不成立', '质疑成立（中标结果无效）'], body: (text, upheld) => ({ upheld, text }), done: redraw })));
    }
    if (me.role === 'operator' && c.state === 'complained') {
      steps.push(kept(`ruling-${c.challenger}`, () => textForm({ name: 'ruling', label: '处理决定', button: '作出处理决定', path: path(`challenges/${c.challenger}/ruling`),
        decision: ['投诉驳回', '投诉成立（中标结果无效）'], body: (text, upheld) => ({ upheld, text }), done: redraw })));
    }
    return h('div', { class: 'card challenge', 'data-challenger': c.challenger }, steps);
  };

  const draw = () => {
    const winner = view.ranking[view.rank - 1];
    const parts = [
      h('h1', {}, `${MODES[view.mode] ?? view.mode} ${view.deal} 采购结果 `, h('span', { class: `pill ${view.state}`, id: 'award-state', 'data-state': view.state }, AWARD_STATES[view.state] ?? view.state)),
      h('p', { class: 'muted' }, `结果公示于 ${time(view.published_ms)}，公示期至 ${time(view.period_ends_ms)}；公示期内有未答复的质疑或处于暂停的，结果不生效，不得履约。`),
      view.suspended ? h('p', { class: 'error', id: 'suspended' }, `监管部门已暂停本项目：${view.suspended}`) : null,
      winner ? h('p', {}, `成交供应商（第 ${view.rank} 名）：`, h('strong', { id: 'winner' }, winner.name), `，${show(winner.amount)} 元`) : null,
      h('div', { class: 'card' }, h('h2', {}, '有效报价排名'), h('table', {},
        h('thead', {}, h('tr', {}, ['排名', '供应商', '总价', '单价', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, view.ranking.map((r) => h('tr', { class: r.supplier === me.participant ? 'mine' : null },
          h('td', {}, r.rank), h('td', {}, r.name), h('td', { class: 'num' }, show(r.amount)), h('td', {}, r.prices.map(show).join('、')),
          h('td', {}, r.passed ? '已取消资格' : (r.rank === view.rank && view.state !== 'failed' && view.state !== 'vacant' ? '成交' : ''))))))),
    ];
    if (view.trades.length) {
      parts.push(h('div', { class: 'card' }, h('h2', {}, '成交'), h('table', {},
        h('thead', {}, h('tr', {}, ['成交号', '单价', '金额', '状态'].map((t) => h('th', {}, t)))),
        h('tbody', {}, view.trades.map((t) => h('tr', {}, h('td', {}, t.id), h('td', { class: 'num' }, show(t.unit_price)), h('td', { class: 'num' }, show(t.amount)), h('td', {}, t.state)))))));
    }
    if (view.may_challenge) {
      parts.push(h('div', { class: 'card' }, h('h2', {}, '提出质疑'),
        kept('grounds', () => textForm({ name: 'grounds', label: '质疑事项及理由', button: '提交质疑', path: path('challenges'), body: (grounds) => ({ grounds }), done: redraw }))));
    }
    if (view.may_complain) {
      parts.push(h('div', { class: 'card' }, h('h2', {}, '向监管部门投诉'),
        kept('complaint', () => textForm({ name: 'complaint', label: '投诉事项及理由', button: '提交投诉', path: path('complaint'), body: (grounds) => ({ grounds }), done: redraw }))));
    }
    const complained = view.challenges.some((c) => c.state === 'complained');
    if (me.role === 'operator' && complained && !view.suspended && (view.state === 'provisional' || view.state === 'final')) {
      parts.push(h('div', { class: 'card' }, h('h2', {}, '暂停采购活动'),
        kept('reason', () => textForm({ name: 'reason', label: '暂停理由', button: '暂停', path: path('suspension'), body: (reason) => ({ reason }), done: redraw }))));
    }
    if (me.role === 'purchaser' && view.state === 'vacant') {
      const next = h('button', { id: 'award-next', onclick: async () => {
        try { redraw((await post(path('next-ranked'))).award); } catch (failure) { showError(vacancy, failure); }
      } }, '确定下一候选人成交');
      const vacancy = h('div', { class: 'card' }, h('h2', {}, '成交结果已无效'),
        h('p', { class: 'muted' }, '可按排名依次确定下一有效报价的供应商成交（按其报价），或终止本项目并释放预算。'),
        next, h('span', { class: 'error', 'data-for': 'form' }),
        kept('failure', () => textForm({ name: 'failure', label: '终止理由', button: '终止项目', path: path('failure'), body: (reason) => ({ reason }), done: redraw })));
      parts.push(vacancy);
    }
    parts.push(h('h2', {}, view.ended ? '质疑与投诉（已公开）' : '质疑与投诉'),
      view.challenges.length ? view.challenges.map(challengeCard) : h('p', { class: 'muted' }, '无'));
    body.replaceChildren(...parts.flat().filter(Boolean));
  };
  mount(body);
  draw();
  await follow(`award:${deal}`, (message) => {
    if (message.type === 'event' || message.type === 'snapshot') reload(message.seq ?? message.as_of_seq);
  });
}

export async function overduePayments(me, arg) {
  let page = Number(new URLSearchParams(arg).get('page') ?? '1');
  const card = h('div', { class: 'card' });
  mount(h('h1', {}, '逾期付款'),
    h('p', { class: 'muted' }, '已验收的货款应在付款期限内支付（一般 30 日，协议约定的不超过 60 日），逾期的在此列出直至付清。'), card);
  const draw = async () => {
    const list = await get(`/trades?overdue=true&page=${page}&per_page=20`);
    const rows = list.items.map((t) => h('tr', { 'data-trade': t.id },
      h('td', {}, t.id), h('td', {}, t.supplier), h('td', { class: 'num' }, show(t.amount)), h('td', {}, time(t.payment_due_ms)),
      h('td', {}, me.role === 'purchaser' ? h('button', { onclick: async () => { await post(`/trades/${t.id}/pay`); draw(); } }, '付款') : null)));
    card.replaceChildren(list.items.length ? h('table', {},
      h('thead', {}, h('tr', {}, ['成交号', '供应商', '金额', '付款期限', ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows)) : h('p', { class: 'muted' }, '没有逾期未付的货款'), pager(list, (p) => { page = p; draw(); }));
  };
  await draw();
}
