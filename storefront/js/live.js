// Live feeds: one WebSocket per page, opened with a single-use ticket, re-opened (with a new
// ticket) when it drops, every followed topic subscribed again. A handler of `auction:12` also
// receives the caller's private stream of that room (`auction:12/bidder:…`, `auction:12/purchaser`).

import { post } from './api.js';

let socket = null;
let opening = null;
const handlers = new Map(); // topic -> Set of handlers

const subscribed = new Set();

/** Marks on the page which topics are live, for people (and tests) who want to know. */
function mark() {
  document.documentElement.dataset.subscribed = [...subscribed].join(' ');
}

function dispatch(message) {
  const topic = message.topic ?? '';
  if (message.type === 'subscribed') { subscribed.add(topic); mark(); }
  if (message.type === 'unsubscribed') { subscribed.delete(topic); mark(); }
  for (const [followed, set] of handlers) {
    if (topic === followed || topic.startsWith(`${followed}/`)) set.forEach((handle) => handle(message));
  }
}

async function open() {
  if (socket && socket.readyState <= 1) return socket;
  if (opening) return opening;
  opening = (async () => {
    const { ticket } = await post('/ws/ticket');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws?ticket=${ticket}`);
    await new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('error', reject, { once: true });
    });
    ws.addEventListener('message', (event) => dispatch(JSON.parse(event.data)));
    ws.addEventListener('close', () => {
      socket = null;
      subscribed.clear();
      mark();
      if (handlers.size > 0) setTimeout(() => reopen(), 1000);
    });
    socket = ws;
    for (const topic of handlers.keys()) ws.send(JSON.stringify({ op: 'subscribe', topic }));
    return ws;
  })();
  try {
    return await opening;
  } finally {
    opening = null;
  }
}

async function reopen() {
  try {
    await open();
  } catch {
    setTimeout(() => reopen(), 3000);
  }
}

/** Follows `topic`; returns a function that stops following it. */
export async function follow(topic, handle) {
  const fresh = !handlers.has(topic);
  if (fresh) handlers.set(topic, new Set());
  handlers.get(topic).add(handle);
  const ws = await open();
  if (fresh && ws.readyState === 1) ws.send(JSON.stringify({ op: 'subscribe', topic }));
  return () => {
    const set = handlers.get(topic);
    set?.delete(handle);
    if (set && set.size === 0) {
      handlers.delete(topic);
      if (socket?.readyState === 1) socket.send(JSON.stringify({ op: 'unsubscribe', topic }));
    }
  };
}

/** Stops following everything: a page change. */
export function leaveAll() {
  for (const topic of handlers.keys()) {
    if (socket?.readyState === 1) socket.send(JSON.stringify({ op: 'unsubscribe', topic }));
  }
  handlers.clear();
  subscribed.clear();
  mark();
}
