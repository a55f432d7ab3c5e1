// The L2 book of one symbol, kept from a book_snapshot and the book_delta messages after it.
// A delta must carry exactly the next sequence number; anything else means resync.

import { Dec } from "./decimal.js";

export class OrderBook {
  constructor(symbol) {
    this.symbol = symbol;
    this.seq = null; // null: waiting for a snapshot
    this.bids = new Map(); // price string -> {price, qty, key: Dec}
    this.asks = new Map();
  }

  get synced() {
    return this.seq !== null;
  }

  /** Drop the book until the next snapshot (after a gap or a reconnect). */
  invalidate() {
    this.seq = null;
  }

  snapshot({ seq, bids = [], asks = [] }) {
    this.bids = levelsFrom(bids);
    this.asks = levelsFrom(asks);
    this.seq = Number(seq);
  }

  /**
   * Apply a delta. Returns "applied", "stale" (already seen: ignored), "waiting" (no snapshot
   * yet: ignored) or "gap" (a message was missed: the caller resyncs; the book is invalid).
   */
  delta({ seq, changes = [] }) {
    if (this.seq === null) return "waiting";
    seq = Number(seq);
    if (seq <= this.seq) return "stale";
    if (seq !== this.seq + 1) {
      this.invalidate();
      return "gap";
    }
    for (const [side, price, qty] of changes) {
      const levels = side === "bid" || side === "buy" || side === "bids" ? this.bids : this.asks;
      const key = Dec.parse(price);
      const size = Dec.parse(qty);
      if (!key || !size) continue;
      const canonical = key.toString();
      if (size.isZero()) levels.delete(canonical);
      else levels.set(canonical, { price, qty, key });
    }
    this.seq = seq;
    return "applied";
  }

  /** Best first: bids high to low, asks low to high. */
  levels(side, depth = Infinity) {
    const rows = [...(side === "bid" ? this.bids : this.asks).values()];
    rows.sort((a, b) => (side === "bid" ? b.key.cmp(a.key) : a.key.cmp(b.key)));
    return rows.slice(0, depth);
  }

  best(side) {
    return this.levels(side, 1)[0] || null;
  }
}

function levelsFrom(rows) {
  const map = new Map();
  for (const [price, qty] of rows) {
    const key = Dec.parse(price);
    if (key && !Dec.parse(qty).isZero()) map.set(key.toString(), { price, qty, key });
  }
  return map;
}
