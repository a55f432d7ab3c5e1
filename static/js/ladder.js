// The depth ladder: asks above, bids below, best prices at the spread, my resting size beside
// each level, bars sized by quantity. Clicking a level (or Enter on it) prices the ticket.

import { group } from "./decimal.js";
import { el } from "./ui.js";

const DEPTH = 10;

export class Ladder {
  constructor({ table, message, seqLabel, book, store, symbol, onPick }) {
    this.tbody = table.tBodies[0];
    this.table = table;
    this.message = message;
    this.seqLabel = seqLabel;
    this.book = book;
    this.store = store;
    this.symbol = symbol;
    this.onPick = onPick;
    this.state = "waiting"; // waiting | live | resyncing | stale
    this.tbody.addEventListener("click", (e) => this.pick(e.target.closest("tr")));
    this.tbody.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        this.pick(e.target.closest("tr"));
      } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const row = e.target.closest("tr");
        const next = e.key === "ArrowDown" ? row?.nextElementSibling : row?.previousElementSibling;
        next?.focus();
      }
    });
  }

  pick(tr) {
    if (tr && tr.dataset.price) this.onPick(tr.dataset.price, tr.dataset.side);
  }

  setState(state) {
    this.state = state;
    this.table.dataset.state = state;
    this.render();
  }

  render() {
    const asks = this.book.levels("ask", DEPTH);
    const bids = this.book.levels("bid", DEPTH);
    const mineBid = this.store.myLevels(this.symbol, "buy");
    const mineAsk = this.store.myLevels(this.symbol, "sell");
    const max = [...asks, ...bids].reduce((m, l) => Math.max(m, Number(l.qty)), 0) || 1;
    const rows = [];
    for (const level of [...asks].reverse()) rows.push(this.row("ask", level, mineAsk.get(level.key.toString()), max));
    const bestBid = bids[0];
    const bestAsk = asks[0];
    const spread = bestBid && bestAsk ? bestAsk.key.sub(bestBid.key) : null;
    rows.push(el("tr", { class: "spread" }, el("td", { colspan: "5" },
      spread ? `Spread ${spread.toString()}` : bids.length || asks.length ? "One-sided book" : "")));
    for (const level of bids) rows.push(this.row("bid", level, mineBid.get(level.key.toString()), max));
    this.tbody.replaceChildren(...rows);
    this.seqLabel.textContent = this.book.synced ? `seq ${this.book.seq}` : "";
    const empty = this.book.synced && !bids.length && !asks.length;
    const text = {
      waiting: "Waiting for the book…",
      resyncing: "Missed an update: resyncing the book…",
      stale: "Connection lost: depth paused until it is back.",
    }[this.state] || (empty ? "No orders in the book." : "");
    this.message.hidden = !text;
    this.message.textContent = text;
  }

  row(side, level, mine, max) {
    const width = `${Math.max(2, Math.round((Number(level.qty) / max) * 100))}%`;
    const size = el("td", { class: `num size ${side}` }, group(level.qty));
    size.style.setProperty("--w", width);
    const mineText = mine && !mine.isZero() ? group(mine.toString()) : "";
    return el("tr", {
      class: `level ${side}`, tabindex: "0", dataset: { side, price: level.price, qty: level.qty },
      title: `${side === "bid" ? "Bid" : "Ask"} ${level.qty} @ ${level.price}. Enter: use this price`,
    },
    el("td", { class: "num mine" }, side === "bid" ? mineText : ""),
    side === "bid" ? size : el("td", { class: "num" }),
    el("td", { class: `num price ${side}-fg` }, group(level.price)),
    side === "ask" ? size : el("td", { class: "num" }),
    el("td", { class: "num mine" }, side === "ask" ? mineText : ""));
  }
}

