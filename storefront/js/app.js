// The storefront: who is logged in, the menu of their role, and the page the address names
// (`#/...`). Each role's pages live in a module of their own.

import { ApiFailure, get, post } from './api.js';
import { leaveAll } from './live.js';
import { h, mount } from './ui.js';
import * as purchaser from './purchaser.js';
import * as supplier from './supplier.js';
import * as overseer from './overseer.js';
import { auctionRoom, auctionList } from './auction.js';
import { inquiryList, inquiryRoom } from './inquiry.js';
import { negotiations } from './negotiation.js';
import { awardList, awardPage, overduePayments } from './award.js';
import { directOrders, noticeList, noticePage } from './public.js';

const ROLE_NAMES = { purchaser: '采购单位', supplier: '供应商', analyst: '监管 / 价格分析', operator: '采购中心' };

/** The pages of each role: route name -> [menu label, render(me, arg)]. */
const PAGES = {
  purchaser: {
    '': ['商品目录', purchaser.catalog],
    product: [null, purchaser.product],
    orders: ['我的订单', purchaser.orders],
    auctions: ['网上竞价', auctionList],
    auction: [null, auctionRoom],
    inquiries: ['网上询价', inquiryList],
    inquiry: [null, inquiryRoom],
    negotiations: ['协商议价', negotiations],
    awards: ['采购结果与质疑', awardList],
    award: [null, awardPage],
    overdue: ['逾期付款', overduePayments],
    budgets: ['预算指标', purchaser.budgets],
  },
  supplier: {
    '': ['协议与报价', supplier.agreements],
    auctions: ['竞价大厅', auctionList],
    auction: [null, auctionRoom],
    inquiries: ['询价邀请', inquiryList],
    inquiry: [null, inquiryRoom],
    negotiations: ['协商议价', negotiations],
    trades: ['成交与履约', supplier.trades],
    awards: ['质疑与投诉', awardList],
    award: [null, awardPage],
  },
  analyst: {
    '': ['价格行情', overseer.prices],
    prices: [null, overseer.prices],
    alerts: ['预警', overseer.alerts],
    reconciliation: ['对账报告', overseer.reconciliation],
    statistics: ['采购统计', overseer.statistics],
    trades: ['实时成交', overseer.liveTrades],
    auctions: ['竞价监督', auctionList],
    auction: [null, auctionRoom],
    inquiries: ['询价监督', inquiryList],
    inquiry: [null, inquiryRoom],
    awards: ['采购结果', awardList],
    award: [null, awardPage],
  },
  operator: {
    '': ['对账报告', overseer.reconciliation],
    prices: ['价格行情', overseer.prices],
    alerts: ['预警', overseer.alerts],
    statistics: ['采购统计', overseer.statistics],
    trades: ['实时成交', overseer.liveTrades],
    auctions: ['竞价监督', auctionList],
    auction: [null, auctionRoom],
    inquiries: ['询价监督', inquiryList],
    inquiry: [null, inquiryRoom],
    awards: ['投诉处理', awardList],
    award: [null, awardPage],
    overdue: ['逾期付款', overduePayments],
  },
};

let me = null;

function loginPage(message) {
  const error = h('span', { class: 'error', 'data-for': 'form' }, message ?? '');
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      try {
        await post('/login', { login: data.get('login'), password: data.get('password') });
        await start();
      } catch (failure) {
        error.textContent = failure.message;
      }
    },
  },
  h('label', {}, '登录名', h('input', { name: 'login', autocomplete: 'username', required: true })),
  h('label', {}, '密码', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
  error,
  h('button', { type: 'submit' }, '登录'));
  visitorMenu();
  mount(h('div', { class: 'card login' }, h('h1', {}, '登录'), form,
    h('p', {}, h('a', { href: '#/public' }, '采购公告公示（无需登录）')),
    h('p', { class: 'accounts' }, '演示账号（密码 demo）：unit1 … unit2000 采购单位，supplier1 … supplier200 供应商，supervisor 监管，centre 采购中心。')));
}

/** The public pages (O-1), for anyone, logged in or not: route name -> render(me, arg). */
const PUBLIC = {
  '': noticeList,
  notice: noticePage,
  'direct-orders': directOrders,
};

/** Renders the public page the address names, when it names one; true if it did. */
async function publicPage(path, query) {
  const [name, sub, ...rest] = path.split('/');
  if (name !== 'public') return false;
  const render = PUBLIC[sub ?? ''] ?? PUBLIC[''];
  await render(me, rest.join('/') || query);
  return true;
}

/** The menu of a visitor who has not logged in. */
function visitorMenu() {
  const current = location.hash.replace(/^#\/?/, '').split('?')[0];
  document.getElementById('nav').replaceChildren(
    h('a', { href: '#/public', class: current === 'public' ? 'active' : null }, '公告公示'),
    h('a', { href: '#/public/direct-orders', class: current === 'public/direct-orders' ? 'active' : null }, '直购成交'));
  document.getElementById('who').replaceChildren(h('a', { href: '#/login' }, '登录'));
}

function menu() {
  const pages = PAGES[me.role] ?? {};
  const current = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  const links = Object.entries(pages)
    .filter(([, [label]]) => label)
    .map(([route, [label]]) => h('a', { href: `#/${route}`, class: route === current ? 'active' : null }, label));
  links.push(h('a', { href: '#/public', class: current === 'public' ? 'active' : null }, '公告公示'));
  document.getElementById('nav').replaceChildren(...links);
  document.getElementById('who').replaceChildren(
    h('span', {}, `${me.name}（${ROLE_NAMES[me.role] ?? me.role}）`),
    h('button', { onclick: async () => { await post('/logout').catch(() => {}); me = null; leaveAll(); loginPage(); } }, '退出'));
}

async function route() {
  leaveAll();
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  if (!me) {
    if (path.startsWith('public')) {
      visitorMenu();
      return publicPage(path, query).catch((failure) => {
        mount(h('div', { class: 'card' }, h('p', { class: 'error' }, failure.message)));
      });
    }
    return loginPage();
  }
  menu();
  const [name, ...rest] = path.split('/');
  const page = (PAGES[me.role] ?? {})[name] ?? (PAGES[me.role] ?? {})[''];
  try {
    if (!(await publicPage(path, query))) await page[1](me, rest.join('/') || query);
  } catch (failure) {
    if (failure instanceof ApiFailure && failure.status === 401) return loginPage('会话已过期，请重新登录');
    mount(h('div', { class: 'card' }, h('p', { class: 'error' }, failure.message)));
  }
}

/** Pages render one after another: a slow page (the reconciliation report, say) left behind must
 * not mount over the page navigated to meanwhile. A page is waited for at most a few seconds. */
let rendering = Promise.resolve();
function navigate() {
  const previous = rendering;
  rendering = (async () => {
    await Promise.race([previous, new Promise((resolve) => { setTimeout(resolve, 5000); })]);
    await route();
  })();
  return rendering;
}

/** A demo market says so on every page: its passwords are public and its data made up. */
async function markDemo() {
  try {
    const about = await get('/about');
    if (!about.demo || document.querySelector('.demo-banner')) return;
    const banner = document.createElement('div');
    banner.className = 'demo-banner';
    banner.setAttribute('role', 'note');
    banner.textContent = '演示环境：数据为模拟数据，账户密码公开（demo），请勿用于真实采购';
    document.body.prepend(banner);
  } catch {
    // Without the answer the page works as before; nothing to say.
  }
}

async function start() {
  await markDemo();
  try {
    me = await get('/me');
  } catch (failure) {
    if (!(failure instanceof ApiFailure && (failure.status === 401 || failure.status === 403))) throw failure;
    me = null;
  }
  await navigate();
}

window.addEventListener('hashchange', navigate);
start();
