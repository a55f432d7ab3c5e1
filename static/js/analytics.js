// The trade screen's analytics panel (the symbol's streaming figures: REST `analytics/`, then
// `analytics` messages) and my alerts (REST `alerts/`: create, list, delete; `alert` messages on
// the private stream show as notices and refresh the list).

import { ApiError, api, get, list } from "./api.js";
import { group } from "./decimal.js";
import { $, el, notice, time } from "./ui.js";

const FIGURES = [
  ["last", "Last"], ["session_vwap", "VWAP (session)"], ["vwap_5m", "VWAP 5m"], ["twap", "TWAP"],
  ["volatility_30m", "Volatility 30m"], ["volume_1m", "Volume 1m"], ["volume_5m", "Volume 5m"],
  ["imbalance_5m", "Flow imbalance 5m"], ["spread", "Spread"], ["spread_mean_5m", "Mean spread 5m"],
  ["bid_qty_mean_5m", "Mean bid size 5m"], ["ask_qty_mean_5m", "Mean ask size 5m"], ["session_trades", "Trades (session)"],
];

function shown(name, value) {
  if (value === null || value === undefined) return "—";
  if (name === "volatility_30m") return `${(Number(value) * 100).toFixed(3)}%`;
  if (name === "imbalance_5m") return `${Number(value) > 0 ? "+" : ""}${value}`;
  if (name === "session_trades") return String(value);
  return group(String(value));
}

export class AnalyticsPanel {
  constructor({ root, message, symbol, chart }) {
    this.root = root;
    this.message = message;
    this.symbol = symbol;
    this.chart = chart;
    this.cells = new Map();
    root.replaceChildren(...FIGURES.flatMap(([name, label]) => {
      const cell = el("dd", { class: "num", dataset: { field: name } }, "—");
      this.cells.set(name, cell);
      return [el("dt", {}, label), cell];
    }));
  }

  async load() {
    try {
      const answer = await get(`marketdata/${encodeURIComponent(this.symbol)}/analytics/?limit=600`);
      this.chart?.setVwap(answer.history || []);
      this.update(answer.latest);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.show(`Analytics unavailable: ${error.message}`);
    }
  }

  update(values) {
    if (!values) {
      this.show("No trades yet: figures appear with the first trade.");
      return;
    }
    this.show(null);
    for (const [name, cell] of this.cells) cell.textContent = shown(name, values[name]);
  }

  /** An `analytics` message. */
  onMessage(message) {
    if (message.symbol !== this.symbol) return;
    this.update(message.values);
    this.chart?.updateVwap(message.values);
  }

  show(text) {
    this.message.hidden = !text;
    this.message.textContent = text || "";
  }
}

const KINDS = {
  price_above: "Price at or above", price_below: "Price at or below", percent_move: "Move of % within",
  volume_spike: "Volume x mean of", fill: "Each of my fills",
};

export class AlertsPanel {
  constructor({ form, table, message, symbol }) {
    this.form = form;
    this.tbody = table.tBodies[0];
    this.message = message;
    this.symbol = symbol;
    this.kind = $("[name=kind]", form);
    this.kind.addEventListener("change", () => this.shape());
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.create();
    });
    this.shape();
  }

  shape() {
    const kind = this.kind.value;
    $("[data-alert=threshold]", this.form).hidden = kind === "fill";
    $("[data-alert=window]", this.form).hidden = !["percent_move", "volume_spike"].includes(kind);
  }

  async load() {
    try {
      this.render(await list("alerts/", { max: 100 }));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.show(error.kind === "auth" ? "Log in to set alerts." : `Alerts unavailable: ${error.message}`);
    }
  }

  async create() {
    const data = new FormData(this.form);
    const kind = data.get("kind");
    const body = { kind, symbol: this.symbol, email: data.get("email") === "on" };
    if (kind !== "fill") body.threshold = String(data.get("threshold") || "").trim();
    if (["percent_move", "volume_spike"].includes(kind) && data.get("window_minutes")) {
      body.window_minutes = Number(data.get("window_minutes"));
    }
    try {
      await api("POST", "alerts/", body);
      this.show(null);
      this.form.reset();
      this.shape();
      await this.load();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.show(error.message);
    }
  }

  async remove(id) {
    try {
      await api("DELETE", `alerts/${id}/`);
      await this.load();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      this.show(error.message);
    }
  }

  render(alerts) {
    this.tbody.replaceChildren(...alerts.map((a) => el("tr", { dataset: { alertId: a.id, status: a.status } },
      el("td", {}, a.symbol || "all"),
      el("td", {}, KINDS[a.kind] || a.kind),
      el("td", { class: "num" }, a.threshold === null ? "" : group(a.threshold)),
      el("td", { class: "num" }, a.window_minutes === null ? "" : `${a.window_minutes} min`),
      el("td", { class: a.status === "triggered" ? "muted" : "" }, a.status),
      el("td", {}, el("button", { type: "button", class: "ghost small", onclick: () => this.remove(a.id),
        "aria-label": `Delete alert ${a.id}` }, "×")))));
  }

  /** An `alert` message (mine, from the private stream). */
  onAlert(message) {
    notice(`alert-${message.id}`, `Alert ${time(message.ts)}: ${message.message}`, "info");
    this.load();
  }

  show(text) {
    this.message.hidden = !text;
    this.message.textContent = text || "";
  }
}
