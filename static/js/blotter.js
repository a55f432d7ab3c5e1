// The trader's blotter: open orders (cancel, modify, cancel all), order history, fills,
// positions at live marks, and the account's cash, reservations and buying power.

import { ApiError, api } from "./api.js";
import { Dec, group, money, signed } from "./decimal.js";
import { buildOrder } from "./orderform.js";
import { $, $$, dateTime, el, frameThrottle } from "./ui.js";

const STATUS_LABEL = {
  accepted: "Accepted", new: "New", partially_filled: "Partial", pending_cancel: "Canceling",
  filled: "Filled", canceled: "Canceled", rejected: "Rejected", expired: "Expired",
};
const TYPE_LABEL = { limit: "Limit", market: "Market", stop: "Stop", stop_limit: "Stop limit" };

function plClass(dec) {
  return dec.sign() > 0 ? "num up" : dec.sign() < 0 ? "num down" : "num";
}

export class Blotter {
  constructor({ store, symbol, instruments, onSessionEnded, onChanged }) {
    this.store = store;
    this.symbol = symbol;
    this.instruments = instruments;
    this.onSessionEnded = onSessionEnded;
    this.onChanged = onChanged;
    this.message = $("#blotter-msg");
    this.editing = null; // order id being modified
    this.renderOrders = frameThrottle(() => this.drawOrders());
    this.renderPositions = frameThrottle(() => this.drawPositions());
    store.on("orders", this.renderOrders);
    store.on("fills", () => this.drawFills());
    store.on("positions", this.renderPositions);
    store.on("quotes", this.renderPositions);
    store.on("account", this.renderPositions);
    this.bindTabs();
    $("#cancel-all").addEventListener("click", (e) => this.cancelAll(e.currentTarget, null));
    $("#cancel-symbol").addEventListener("click", (e) => this.cancelAll(e.currentTarget, symbol));
  }

  say(text, level = "error") {
    this.message.textContent = text;
    this.message.dataset.level = level;
  }

  bindTabs() {
    const tabs = $$('[role="tab"]');
    const select = (tab) => {
      for (const t of tabs) {
        const on = t === tab;
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
        document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
      }
      $("#open-actions").hidden = tab.id !== "tab-open";
    };
    this.selectTab = (index) => {
      select(tabs[index]);
      tabs[index].focus();
    };
    for (const [i, tab] of tabs.entries()) {
      tab.addEventListener("click", () => select(tab));
      tab.addEventListener("keydown", (e) => {
        if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
          e.preventDefault();
          this.selectTab((i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length);
        }
      });
    }
  }

  handle(error, what) {
    if (!(error instanceof ApiError)) throw error;
    if (error.kind === "auth") this.onSessionEnded();
    this.say(`${what}: ${error.message}`);
  }

  // --- Orders ---------------------------------------------------------------
  drawOrders() {
    const open = this.store.openOrders();
    const table = $("#open-orders");
    $("#open-count").textContent = open.length;
    table.nextElementSibling.hidden = open.length > 0;
    if (this.editing !== null && !open.some((o) => o.id === this.editing)) {
      this.editing = null;
      this.say("The order closed while it was being modified.", "info");
    }
    const active = document.activeElement;
    const focusedId = active?.closest?.("#open-orders tr")?.dataset.orderId;
    const focusedName = active?.name || active?.textContent;
    table.tBodies[0].replaceChildren(...open.map((o) => (o.id === this.editing ? this.editRow(o) : this.openRow(o))));
    if (this.focusEdit) {
      this.focusEdit = false;
      table.querySelector("tr.editing input")?.focus();
    } else if (focusedId) {
      const row = table.querySelector(`tr[data-order-id="${focusedId}"]`);
      const target = row && ([...row.querySelectorAll("input, button")].find((n) => (n.name || n.textContent) === focusedName)
        || row.querySelector("button"));
      target?.focus();
    }
    const closed = this.store.closedOrders().slice(0, 200);
    const history = $("#order-history");
    history.nextElementSibling.hidden = closed.length > 0;
    history.tBodies[0].replaceChildren(...closed.map((o) => el("tr", { dataset: { orderId: o.id, status: o.status } },
      el("td", { class: "muted" }, dateTime(o.updated_at || o.created_at)), el("td", {}, o.symbol),
      el("td", { class: `${o.side}-fg` }, o.side), el("td", {}, TYPE_LABEL[o.type] || o.type),
      el("td", { class: "num" }, group(o.qty)), el("td", { class: "num" }, group(o.filled_qty)),
      el("td", { class: "num" }, o.avg_fill_price ? group(o.avg_fill_price) : "—"),
      el("td", { class: "num" }, o.limit_price ? group(o.limit_price) : "—"),
      el("td", {}, o.time_in_force.toUpperCase()),
      el("td", {}, el("span", { class: `status s-${o.status}` }, STATUS_LABEL[o.status] || o.status)),
      el("td", { class: "muted" }, o.reject_reason ? o.reject_reason.replace(/_/g, " ") : ""))));
  }

  openRow(o) {
    const canModify = o.status !== "pending_cancel";
    return el("tr", { dataset: { orderId: o.id, status: o.status, symbol: o.symbol } },
      el("td", { class: "muted" }, dateTime(o.created_at)), el("td", {}, o.symbol),
      el("td", { class: `${o.side}-fg` }, o.side), el("td", {}, TYPE_LABEL[o.type] || o.type),
      el("td", { class: "num" }, group(o.qty)), el("td", { class: "num" }, group(o.filled_qty)),
      el("td", { class: "num" }, o.limit_price ? group(o.limit_price) : "—"),
      el("td", { class: "num" }, o.stop_price ? group(o.stop_price) : "—"),
      el("td", {}, o.time_in_force.toUpperCase()),
      el("td", {}, el("span", { class: `status s-${o.status}` }, STATUS_LABEL[o.status] || o.status)),
      el("td", { class: "actions" },
        canModify && el("button", { type: "button", class: "ghost small", "aria-label": `Modify order ${o.id}`, onclick: () => this.edit(o.id) }, "Modify"),
        el("button", { type: "button", class: "ghost small danger", "aria-label": `Cancel order ${o.id}`, disabled: !canModify, onclick: (e) => this.cancel(o, e.currentTarget) }, "Cancel")));
  }

  editRow(o) {
    const draft = this.draft;
    const qty = el("input", { name: "qty", value: draft.qty, inputmode: "decimal", "aria-label": "New quantity", size: "7",
      oninput: (e) => (draft.qty = e.target.value) });
    const priced = o.type === "limit" || o.type === "stop_limit";
    const price = priced ? el("input", { name: "limit_price", value: draft.limit_price, inputmode: "decimal",
      "aria-label": "New limit price", size: "8", oninput: (e) => (draft.limit_price = e.target.value) }) : null;
    const save = () => this.modify(o, qty.value, price ? price.value : null);
    const keys = (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        save();
      } else if (e.key === "Escape") {
        e.preventDefault();
        this.editing = null;
        this.say("");
        this.drawOrders();
      }
    };
    qty.addEventListener("keydown", keys);
    price?.addEventListener("keydown", keys);
    return el("tr", { class: "editing", dataset: { orderId: o.id, status: o.status, symbol: o.symbol } },
      el("td", { class: "muted" }, dateTime(o.created_at)), el("td", {}, o.symbol),
      el("td", { class: `${o.side}-fg` }, o.side), el("td", {}, TYPE_LABEL[o.type] || o.type),
      el("td", { class: "num" }, qty), el("td", { class: "num" }, group(o.filled_qty)),
      el("td", { class: "num" }, price || "—"), el("td", { class: "num" }, o.stop_price ? group(o.stop_price) : "—"),
      el("td", {}, o.time_in_force.toUpperCase()), el("td", {}, STATUS_LABEL[o.status] || o.status),
      el("td", { class: "actions" },
        el("button", { type: "button", class: "small", onclick: save }, "Save"),
        el("button", { type: "button", class: "ghost small", onclick: () => { this.editing = null; this.say(""); this.drawOrders(); } }, "Back")));
  }

  edit(id) {
    const order = this.store.orders.get(id);
    this.editing = id;
    this.draft = { qty: order.qty, limit_price: order.limit_price };
    this.focusEdit = true;
    this.say("Change the quantity or price, then Enter to send the replace (Esc to leave it).", "info");
    this.drawOrders();
  }

  async modify(order, qtyText, priceText) {
    const instrument = this.instruments.get(order.symbol) || { symbol: order.symbol, tick_size: "0.00000001", lot_size: "0.00000001" };
    const { body, errors } = buildOrder({
      side: order.side, type: priceText === null ? "market" : "limit", time_in_force: order.time_in_force,
      qty: qtyText, limit_price: priceText,
    }, { ...instrument, status: "trading" });
    const problems = Object.entries(errors).filter(([k]) => k === "qty" || k === "limit_price").map(([, v]) => v);
    if (problems.length) {
      this.say(`Order ${order.id} not modified: ${problems.join(" ")}`);
      return;
    }
    const change = {};
    if (Dec.parse(body.qty).cmp(order.qty) !== 0) change.qty = body.qty;
    if (priceText !== null && Dec.parse(body.limit_price).cmp(order.limit_price) !== 0) change.limit_price = body.limit_price;
    if (!Object.keys(change).length) {
      this.say("Nothing changed.", "info");
      return;
    }
    try {
      const answer = await api("PATCH", `orders/${order.id}/`, change);
      this.editing = null;
      if (answer && answer.id) this.store.upsertOrder(answer);
      this.say(`Replace of order ${order.id} requested; the book confirms it.`, "ok");
      this.drawOrders();
    } catch (error) {
      this.handle(error, `Order ${order.id} not modified`);
      if (error.kind === "not_found") {
        this.editing = null;
        this.onChanged();
      }
    }
  }

  async cancel(order, button) {
    button.disabled = true;
    try {
      const answer = await api("DELETE", `orders/${order.id}/`);
      if (answer && answer.id) this.store.upsertOrder(answer);
      this.say(`Cancel of order ${order.id} requested.`, "ok");
    } catch (error) {
      button.disabled = false;
      this.handle(error, `Order ${order.id} not canceled`);
      if (error.kind === "not_found" || error.kind === "invalid") this.onChanged();
    }
  }

  async cancelAll(button, symbol) {
    const open = this.store.openOrders().filter((o) => !symbol || o.symbol === symbol);
    if (!open.length) {
      this.say(symbol ? `No open ${symbol} orders.` : "No open orders.", "info");
      return;
    }
    // A second press within a few seconds confirms; one stray key never cancels everything.
    if (button.dataset.armed !== "1") {
      button.dataset.armed = "1";
      const label = button.textContent;
      button.textContent = `Confirm: cancel ${open.length}`;
      setTimeout(() => {
        button.dataset.armed = "";
        button.textContent = label;
      }, 4000);
      return;
    }
    button.dataset.armed = "";
    button.textContent = symbol ? `Cancel all ${symbol}` : "Cancel all";
    try {
      const answer = await api("DELETE", symbol ? `orders/?symbol=${encodeURIComponent(symbol)}` : "orders/");
      const ids = new Set(answer?.canceled || []);
      for (const order of open) {
        if (ids.has(order.id)) this.store.upsertOrder({ ...order, status: "pending_cancel" });
      }
      this.say(`Cancel requested for ${ids.size} order${ids.size === 1 ? "" : "s"}.`, "ok");
    } catch (error) {
      this.handle(error, "Orders not canceled");
    }
  }

  // --- Fills ----------------------------------------------------------------
  drawFills() {
    const fills = this.store.fillList().slice(0, 200);
    const table = $("#fills");
    table.nextElementSibling.hidden = fills.length > 0;
    table.tBodies[0].replaceChildren(...fills.map((f) => el("tr", { dataset: { tradeId: f.trade_id, orderId: f.order_id } },
      el("td", { class: "muted" }, dateTime(f.ts)), el("td", {}, f.symbol), el("td", { class: `${f.side}-fg` }, f.side),
      el("td", { class: "num" }, group(f.price)), el("td", { class: "num" }, group(f.qty)),
      el("td", { class: "num" }, money(f.fee)), el("td", {}, f.liquidity), el("td", { class: "num muted" }, f.order_id))));
  }

  // --- Positions and account --------------------------------------------------
  drawPositions() {
    const rows = this.store.valuedPositions();
    const table = $("#positions");
    table.nextElementSibling.hidden = rows.length > 0;
    table.tBodies[0].replaceChildren(...rows.map((p) => el("tr", { dataset: { symbol: p.symbol } },
      el("th", { scope: "row" }, el("a", { href: `/trade/${encodeURIComponent(p.symbol)}/` }, p.symbol)),
      el("td", { class: "num", dataset: { field: "qty" } }, group(p.qty)),
      el("td", { class: "num muted" }, group(p.reserved_qty)),
      el("td", { class: "num" }, group(p.avg_price)),
      el("td", { class: "num", dataset: { field: "mark" } }, group(p.mark.toString())),
      el("td", { class: "num" }, money(p.value.toString())),
      el("td", { class: plClass(p.unrealized), dataset: { field: "unrealized_pl" } }, signed(p.unrealized, 2)),
      el("td", { class: plClass(Dec.parse(p.realized_pl)) }, money(p.realized_pl)))));
    this.drawAccount();
  }

  drawAccount() {
    const account = this.store.account;
    if (!account) return;
    const totals = this.store.liveTotals();
    const values = {
      cash: money(account.cash), reserved_cash: money(account.reserved_cash), buying_power: money(account.buying_power),
      equity: money(totals ? totals.equity.toString() : account.equity),
      unrealized_pl: totals ? signed(totals.unrealized, 2) : money(account.unrealized_pl),
      realized_pl: money(account.realized_pl),
    };
    for (const [field, text] of Object.entries(values)) {
      const dd = $(`#account [data-field="${field}"]`);
      if (dd.textContent !== text) {
        dd.textContent = text;
        dd.dataset.raw = field === "equity" && totals ? totals.equity.toFixed(2) : field === "unrealized_pl" && totals ? totals.unrealized.toFixed(2) : account[field];
      }
    }
    for (const field of ["unrealized_pl", "realized_pl"]) {
      const dec = Dec.parse($(`#account [data-field="${field}"]`).dataset.raw || "0");
      $(`#account [data-field="${field}"]`).className = dec ? plClass(dec) : "num";
    }
    $("#acct-currency").textContent = account.currency || "";
  }
}
