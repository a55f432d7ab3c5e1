// The public trade tape of the symbol: newest first, coloured by the aggressor's side.

import { group } from "./decimal.js";
import { el, time } from "./ui.js";

const KEEP = 100;

export class Tape {
  constructor({ table, message }) {
    this.tbody = table.tBodies[0];
    this.message = message;
    this.trades = new Map();
  }

  load(trades) {
    for (const trade of trades) this.trades.set(trade.trade_id, trade);
    this.render();
  }

  add(trade) {
    if (this.trades.has(trade.trade_id)) return;
    this.trades.set(trade.trade_id, trade);
    this.render(trade.trade_id);
  }

  render(fresh = null) {
    const rows = [...this.trades.values()].sort((a, b) => b.trade_id - a.trade_id).slice(0, KEEP);
    this.trades = new Map(rows.map((t) => [t.trade_id, t]));
    this.tbody.replaceChildren(...rows.map((t) => el("tr", {
      class: `${t.aggressor_side === "buy" ? "buy" : "sell"}${t.trade_id === fresh ? " fresh" : ""}`,
      dataset: { tradeId: t.trade_id },
    }, el("td", { class: "muted" }, time(t.ts)), el("td", { class: `num ${t.aggressor_side === "buy" ? "buy-fg" : "sell-fg"}` }, group(t.price)),
    el("td", { class: "num" }, group(t.qty)))));
    this.message.hidden = rows.length > 0;
    this.message.textContent = rows.length ? "" : "No trades yet.";
  }
}
