// Small DOM helpers: building elements, showing an API error next to its field, a pager.

/** h('td', { class: 'num' }, '12.00') */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the page body. */
export function mount(...children) {
  const app = document.getElementById('app');
  app.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false && c !== ''));
  return app;
}

/** Which form field an API error code concerns, so the message sits next to it. */
const FIELD_OF = {
  quantity_scale: 'quantity', invalid_input: null, budget_short: 'budget_line', above_limit: 'quantity',
  stock_short: 'quantity', above_ceiling: 'price', step_too_small: 'price', not_eligible: null,
  product_not_in_auction: 'product', above_own_ceiling: 'price',
};

/** Shows `failure` in the form: under its field when known, else under the form. */
export function showError(form, failure) {
  form.querySelectorAll('.error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('input.bad, select.bad').forEach((e) => e.classList.remove('bad'));
  const field = FIELD_OF[failure.code] ?? guessField(failure.message);
  const input = field && form.querySelector(`[name="${field}"]`);
  const slot = (input && form.querySelector(`.error[data-for="${field}"]`)) || form.querySelector('.error[data-for="form"]');
  if (input) input.classList.add('bad');
  const rule = failure.rule ? `（规则 ${failure.rule}）` : '';
  if (slot) slot.textContent = `${failure.message}${rule}`;
}

function guessField(message) {
  const match = /^(\w+):/.exec(message ?? '');
  return match ? match[1] : null;
}

/** An input with its label and an error slot. */
export function field(label, name, attrs = {}) {
  return h('label', {}, label, h('input', { name, ...attrs }), h('span', { class: 'error', 'data-for': name }));
}

/** Previous / next over a paged list answer. */
export function pager(list, onPage) {
  const pages = Math.max(1, Math.ceil(list.total / list.per_page));
  return h('div', { class: 'pager' },
    h('button', { class: 'plain', disabled: list.page <= 1, onclick: () => onPage(list.page - 1) }, '上一页'),
    h('span', { class: 'muted' }, `第 ${list.page} / ${pages} 页，共 ${list.total} 条`),
    h('button', { class: 'plain', disabled: list.page >= pages, onclick: () => onPage(list.page + 1) }, '下一页'));
}

export function time(ms) {
  return new Date(ms).toLocaleString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' });
}

/** The non-empty fields of a form as a query string, for the address of the page it filters. */
export function formQuery(form) {
  const query = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (value) query.set(key, value);
  return query;
}

/**
 * Wraps an async read so that, of overlapping calls (a live message, a step just taken), only the
 * newest one started is answered; an older one landing late answers null, or it would put a list
 * back as it was before the step.
 */
export function newest(read) {
  let started = 0;
  return async (...args) => {
    const mine = ++started;
    const answer = await read(...args);
    return mine === started ? answer : null;
  };
}
