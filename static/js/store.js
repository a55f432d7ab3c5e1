// What the trade screen knows about the trader: orders, fills, positions, account, quotes.
// REST loads fill it; WebSocket messages keep it current; views subscribe to changes.

import { Dec } from "./decimal.js";

export const OPEN_STATUSES = new Set(["accepted", "new", "partially_filled", "pending_cancel"]);
const RANK = { accepted: 0, new: 1, partially_filled: 2, pending_cancel: 3 };
const FINAL_RANK = 4;

export const isOpen = (order) => OPEN_STATUSES.has(order.status);
const rank = (order) => (order.status in RANK ? RANK[order.status] : FINAL_RANK);

/** Whether `incoming` is a later state of the order than `current` (states only move forward). */
export function isNewer(incoming, current) {
  if (!current) return true;
  if (!isOpen(current) && isOpen(incoming)) return false;
  if (incoming.updated_at && current.updated_at) {
    if (incoming.updated_at > current.updated_at) return true;
    if (incoming.updated_at < current.updated_at) return false;
  }
  return rank(incoming) >= rank(current);
}

export class Store {
  constructor() {
    this.orders = new Map();
    this.fills = new Map();
    this.positions = new Map();
    this.quotes = new Map();
    this.instruments = new Map();
    this.account = null;
    this.listeners = new Map();
    // Pushes (the private stream): a count, and per symbol the count at its last position push, so a
    // REST load that began before a push does not undo it.
    this.pushes = 0;
    this.accountPushed = 0;
    this.pushedPositions = new Map();
  }

  on(topic, fn) {
    if (!this.listeners.has(topic)) this.listeners.set(topic, new Set());
    this.listeners.get(topic).add(fn);
  }

  changed(topic) {
    for (const fn of this.listeners.get(topic) || []) fn();
  }

  upsertOrder(order) {
    if (!order || order.id === undefined) return false;
    if (!isNewer(order, this.orders.get(order.id))) return false;
    this.orders.set(order.id, { ...this.orders.get(order.id), ...order });
    this.changed("orders");
    return true;
  }

  /** Replace what we know of one class of orders (e.g. all open ones) with a fresh list. */
  loadOrders(orders, { open = null } = {}) {
    const seen = new Set(orders.map((o) => o.id));
    if (open !== null) {
      for (const [id, order] of this.orders) {
        // An order we think open that the fresh open list lacks has closed meanwhile; its
        // final state comes with the history list or its update.
        if (open && isOpen(order) && !seen.has(id)) this.orders.delete(id);
      }
    }
    for (const order of orders) {
      if (isNewer(order, this.orders.get(order.id))) this.orders.set(order.id, order);
    }
    this.changed("orders");
  }

  openOrders() {
    return [...this.orders.values()].filter(isOpen).sort(newestFirst);
  }

  closedOrders() {
    return [...this.orders.values()].filter((o) => !isOpen(o)).sort(newestFirst);
  }

  addFills(fills) {
    let added = false;
    for (const fill of fills) {
      if (fill && fill.trade_id !== undefined && !this.fills.has(fill.trade_id)) {
        this.fills.set(fill.trade_id, fill);
        added = true;
      }
    }
    if (added) this.changed("fills");
  }

  fillList() {
    return [...this.fills.values()].sort((a, b) => (b.ts || "").localeCompare(a.ts || "") || b.trade_id - a.trade_id);
  }

  /** Positions from REST; those pushed since `since` (a pushCount()) are newer and kept as pushed. */
  setPositions(rows, since = null) {
    this.positions = new Map(rows.map((p) => [p.symbol, p]));
    for (const [symbol, { count, position }] of this.pushedPositions) {
      if (since === null || count <= since) continue;
      if (position) this.positions.set(symbol, position);
      else this.positions.delete(symbol);
    }
    this.changed("positions");
  }

  /** The account from REST; not if one was pushed since `since` (a pushCount()): that one is newer. */
  setAccount(account, since = null) {
    if (since !== null && this.accountPushed > since) return;
    this.account = account;
    this.changed("account");
  }

  /** How many account and position pushes arrived so far (REST loads compare with it). */
  pushCount() {
    return this.pushes;
  }

  /** A `position` push: its state now; qty "0" means it is closed. */
  pushPosition(message) {
    this.pushes += 1;
    const { type, seq, ...position } = message;
    const open = !Dec.parse(position.qty).isZero();
    this.pushedPositions.set(position.symbol, { count: this.pushes, position: open ? position : null });
    if (open) this.positions.set(position.symbol, position);
    else this.positions.delete(position.symbol);
    this.changed("positions");
  }

  /** An `account` push: balances now. */
  pushAccount(message) {
    this.pushes += 1;
    const { type, seq, ...account } = message;
    this.account = account;
    this.accountPushed = this.pushes;
    this.changed("account");
  }

  setQuote(quote) {
    this.quotes.set(quote.symbol, { ...this.quotes.get(quote.symbol), ...quote });
    this.changed("quotes");
  }

  /** The live mark of a symbol: last trade from the quote, else what the server valued it at. */
  mark(symbol) {
    const last = this.quotes.get(symbol)?.last;
    return last || this.positions.get(symbol)?.market_price || null;
  }

  /** Positions valued at live marks: [{...position, mark, value, unrealized}] with Decs. */
  valuedPositions() {
    return [...this.positions.values()].map((p) => {
      const qty = Dec.parse(p.qty);
      const mark = Dec.parse(this.mark(p.symbol) || p.avg_price);
      return { ...p, mark, value: qty.mul(mark), unrealized: qty.mul(mark.sub(p.avg_price)) };
    });
  }

  /** Equity and unrealized P&L at live marks, or null before the account and positions load. */
  liveTotals() {
    if (!this.account) return null;
    let value = Dec.zero();
    let unrealized = Dec.zero();
    for (const p of this.valuedPositions()) {
      value = value.add(p.value);
      unrealized = unrealized.add(p.unrealized);
    }
    return { equity: Dec.parse(this.account.cash).add(value), unrealized };
  }

  /** My resting size per price on one side of a symbol (limit orders only). */
  myLevels(symbol, side) {
    const sizes = new Map();
    for (const order of this.orders.values()) {
      if (order.symbol !== symbol || order.side !== side || order.type !== "limit" || !isOpen(order) || !order.limit_price) continue;
      const key = Dec.parse(order.limit_price).toString();
      const remaining = Dec.parse(order.qty).sub(order.filled_qty || "0");
      sizes.set(key, (sizes.get(key) || Dec.zero()).add(remaining));
    }
    return sizes;
  }
}

function newestFirst(a, b) {
  return (b.created_at || "").localeCompare(a.created_at || "") || b.id - a.id;
}
