// The order ticket's rules, checked before anything is sent: the same shape rules the server
// applies (API.md: Order), so a trader sees the reason at once and in words.

import { Dec } from "./decimal.js";

export const TYPES = ["limit", "market", "stop", "stop_limit"];
export const TIFS = ["gtc", "day", "ioc", "fok"];
export const PRICED = new Set(["limit", "stop_limit"]);
export const STOPPED = new Set(["stop", "stop_limit"]);
const MAX_PLACES = 8;
const LIMIT = Dec.parse("1000000000000");

function amount(text, label, step, stepName, errors, field) {
  const raw = (text ?? "").toString().trim().replace(/,/g, "");
  if (!raw) {
    errors[field] = `Enter a ${label.toLowerCase()}.`;
    return null;
  }
  const value = Dec.parse(raw);
  if (!value || raw.startsWith("+")) {
    errors[field] = `${label} must be a number like ${step}.`;
    return null;
  }
  if (value.sign() <= 0) {
    errors[field] = `${label} must be more than zero.`;
    return null;
  }
  if (value.places() > MAX_PLACES || value.cmp(LIMIT) >= 0) {
    errors[field] = `${label} is out of range.`;
    return null;
  }
  if (!value.isMultipleOf(step)) {
    errors[field] = `${label} must be a multiple of the ${stepName} ${Dec.parse(step)}.`;
    return null;
  }
  return value.toString();
}

/**
 * Check a ticket against an instrument ({symbol, tick_size, lot_size, status}).
 * Returns {body, errors}: body is the POST orders/ request when errors is empty.
 */
export function buildOrder(input, instrument) {
  const errors = {};
  const { side, type, time_in_force: tif } = input;
  if (side !== "buy" && side !== "sell") errors.side = "Choose buy or sell.";
  if (!TYPES.includes(type)) errors.type = "Choose an order type.";
  if (!TIFS.includes(tif)) errors.time_in_force = "Choose a time in force.";
  const body = { symbol: instrument.symbol, side, type, time_in_force: tif };
  body.qty = amount(input.qty, "Quantity", instrument.lot_size, "lot size", errors, "qty");
  if (PRICED.has(type)) {
    body.limit_price = amount(input.limit_price, "Limit price", instrument.tick_size, "tick size", errors, "limit_price");
  }
  if (STOPPED.has(type)) {
    body.stop_price = amount(input.stop_price, "Stop price", instrument.tick_size, "tick size", errors, "stop_price");
  }
  if (input.post_only) {
    if (type !== "limit" || tif === "ioc" || tif === "fok") {
      errors.post_only = "Post only applies to GTC or Day limit orders.";
    } else {
      body.post_only = true;
    }
  }
  return { body, errors };
}

/** Estimated notional of a ticket, or null (market orders use the reference given). */
export function notional(body, reference) {
  const price = body.limit_price || body.stop_price || reference;
  const qty = Dec.parse(body.qty ?? "");
  const p = Dec.parse(price ?? "");
  return qty && p ? qty.mul(p) : null;
}

/** A fresh client order id: printable ASCII, at most 64 characters (API.md clarifications). */
export function clientOrderId() {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return "ui-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
