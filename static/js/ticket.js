// The order ticket: checks tick and lot (and the other shape rules) before sending, then shows
// the server's answer in place: the accepted order, or its refusal in the trader's words.

import { ApiError, api, fieldLabel } from "./api.js";
import { group, money } from "./decimal.js";
import { PRICED, buildOrder, clientOrderId, notional } from "./orderform.js";
import { $, $$ } from "./ui.js";

export class Ticket {
  constructor({ form, store, instrument, onPlaced, onSessionEnded }) {
    this.form = form;
    this.store = store;
    this.instrument = instrument;
    this.onPlaced = onPlaced;
    this.onSessionEnded = onSessionEnded;
    this.message = $("#ticket-msg", form);
    this.submit = $("#t-submit", form);
    this.busy = false;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    form.addEventListener("input", (e) => {
      this.clearField(e.target.name);
      this.refresh();
    });
    form.addEventListener("change", () => this.refresh());
    form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        this.clearErrors();
        this.say("");
        document.activeElement?.blur();
      }
    });
    store.on("account", () => this.refresh());
    store.on("positions", () => this.refresh());
    store.on("quotes", () => this.refreshEstimate());
    this.refresh();
  }

  values() {
    const data = new FormData(this.form);
    return {
      side: data.get("side"), type: data.get("type"), time_in_force: data.get("time_in_force"),
      qty: data.get("qty"), limit_price: data.get("limit_price"), stop_price: data.get("stop_price"),
      post_only: data.get("post_only") === "on",
    };
  }

  setSide(side) {
    $(`#side-${side}`, this.form).checked = true;
    this.refresh();
  }

  setPrice(price) {
    const { type } = this.values();
    if (!PRICED.has(type)) this.form.elements.type.value = "limit";
    this.form.elements.limit_price.value = price;
    this.clearField("limit_price");
    this.refresh();
  }

  refresh() {
    const { side, type, time_in_force: tif } = this.values();
    for (const field of $$("[data-types]", this.form)) {
      const shown = field.dataset.types.split(" ").includes(type);
      field.hidden = !shown;
      if (!shown) this.clearField(field.querySelector("input")?.name);
    }
    const post = this.form.elements.post_only;
    post.disabled = type !== "limit" || tif === "ioc" || tif === "fok";
    if (post.disabled) post.checked = false;
    this.submit.className = `submit ${side}`;
    this.submit.textContent = `${side === "sell" ? "Sell" : "Buy"} ${this.instrument.symbol}`;
    this.form.dataset.side = side;
    const account = this.store.account;
    $("#t-bp", this.form).textContent = account ? money(account.buying_power) : "—";
    const position = this.store.positions.get(this.instrument.symbol);
    $("#t-pos", this.form).textContent = position ? group(position.qty) : "0";
    this.refreshEstimate();
  }

  refreshEstimate() {
    const { body } = buildOrder(this.values(), this.instrument);
    const quote = this.store.quotes.get(this.instrument.symbol) || {};
    const reference = (body.side === "buy" ? quote.ask : quote.bid) || quote.last;
    const value = notional(body, reference);
    $("#t-est", this.form).textContent = value ? money(value.toString()) : "—";
  }

  say(text, level = "info") {
    this.message.textContent = text;
    this.message.dataset.level = level;
  }

  clearField(name) {
    if (!name) return;
    const error = $(`.field-error[data-for="${name}"]`, this.form);
    if (error) error.textContent = "";
    this.form.elements[name]?.removeAttribute?.("aria-invalid");
  }

  clearErrors() {
    for (const error of $$(".field-error", this.form)) error.textContent = "";
    for (const input of $$("[aria-invalid]", this.form)) input.removeAttribute("aria-invalid");
  }

  showErrors(fields) {
    let first = null;
    const loose = [];
    for (const [name, text] of Object.entries(fields)) {
      const slot = $(`.field-error[data-for="${name}"]`, this.form);
      const input = this.form.elements[name];
      if (slot && !slot.closest("[hidden]")) {
        slot.textContent = text;
        if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
        first = first || input;
      } else {
        loose.push(fieldLabel(name) ? `${fieldLabel(name)}: ${text}` : text);
      }
    }
    if (first && first.focus) first.focus();
    return loose.join(" ");
  }

  async send() {
    if (this.busy) return;
    this.clearErrors();
    const { body, errors } = buildOrder(this.values(), this.instrument);
    if (Object.keys(errors).length) {
      const loose = this.showErrors(errors);
      this.say([loose, "Fix the highlighted fields; nothing was sent."].filter(Boolean).join(" "), "error");
      return;
    }
    body.client_order_id = clientOrderId();
    this.busy = true;
    this.submit.disabled = true;
    this.say("Sending…", "info");
    try {
      const order = await api("POST", "orders/", body);
      this.store.upsertOrder(order);
      const price = order.limit_price ? ` @ ${order.limit_price}` : order.stop_price ? ` stop ${order.stop_price}` : "";
      this.say(`Order ${order.id} ${order.status}: ${order.side} ${order.qty} ${order.symbol} ${order.type.replace("_", " ")}${price}.`, "ok");
      this.onPlaced(order);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.kind === "invalid") {
        const loose = this.showErrors(error.fields);
        this.say(`Not accepted: ${loose || (Object.keys(error.fields).length ? "fix the highlighted fields." : error.message)}`, "error");
      } else if (error.kind === "refused") {
        this.say(`Refused${error.code ? ` (${error.code.replace(/_/g, " ")})` : ""}: ${error.message}`, "error");
        this.onPlaced(null, error.code);
      } else if (error.kind === "auth") {
        this.say(error.message, "error");
        this.onSessionEnded();
      } else if (error.kind === "network") {
        this.say(error.message, "error");
      } else {
        this.say(`Not placed: ${error.message}`, "error");
      }
    } finally {
      this.busy = false;
      this.submit.disabled = false;
    }
  }
}
