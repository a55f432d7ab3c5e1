// The account panel's risk lines (GET account/risk/): exposure, open-order notional, today's P&L,
// the limits ops set, and a banner when the account is frozen (a trip of its kill switch says why).

import { Dec, money, signed } from "./decimal.js";
import { $ } from "./ui.js";

const LIMITS = [
  ["max_daily_loss", "Daily loss limit", money],
  ["max_gross_exposure", "Gross exposure limit", money],
  ["max_open_notional", "Open orders limit", money],
  ["max_position_qty", "Position limit (per symbol)", (v) => v],
  ["max_orders_per_second", "Orders per second", (v) => String(v)],
];

export function drawRisk(risk) {
  const root = $("#risk");
  if (!root || !risk) return;
  const today = Dec.parse(risk.today_pl);
  const values = {
    gross_exposure: money(risk.gross_exposure), net_exposure: money(risk.net_exposure),
    open_order_notional: money(risk.open_order_notional),
    today_pl: today ? signed(today, 2) : money(risk.today_pl),
  };
  for (const [field, text] of Object.entries(values)) {
    const dd = $(`[data-field="${field}"]`, root);
    if (dd) dd.textContent = text;
  }
  const todayDd = $('[data-field="today_pl"]', root);
  if (todayDd && today) todayDd.className = today.sign() > 0 ? "num up" : today.sign() < 0 ? "num down" : "num";
  const limits = $("#risk-limits");
  if (limits) {
    const set = LIMITS.filter(([key]) => risk.limits && risk.limits[key] !== null && risk.limits[key] !== undefined);
    limits.replaceChildren(...set.flatMap(([key, label, show]) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.className = "num";
      dd.dataset.field = key;
      dd.textContent = show(risk.limits[key]);
      return [dt, dd];
    }));
    limits.hidden = set.length === 0;
  }
  const banner = $("#risk-frozen");
  if (banner) {
    banner.hidden = !risk.frozen;
    banner.textContent = risk.frozen ? `Account frozen: ${risk.frozen_reason || "by operations"}. New orders are refused.` : "";
  }
}
