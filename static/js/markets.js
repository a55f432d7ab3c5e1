// The watchlist: every instrument with its live quote and change since the session open.

import { ApiError, get, list } from "./api.js";
import { Dec, group, signed } from "./decimal.js";
import { Stream } from "./stream.js";
import { $, $$, bindConnection, config, el, isTyping, notice, noticeFor } from "./ui.js";

const cfg = config();
const rows = new Map(); // symbol -> {tr, instrument, quote}
const tbody = $("#watchlist tbody");
const filter = $("#filter");

function placesOf(step) {
  return Dec.parse(step)?.places() ?? 2;
}

function openOf(symbol, quote) {
  return (quote && quote.open) || cfg.opens?.[symbol] || null;
}

function renderRow(row) {
  const { tr, instrument, quote = {} } = row;
  const places = placesOf(instrument.tick_size);
  const cells = tr.cells;
  const previous = row.shownLast;
  cells[2].textContent = quote.bid ? group(quote.bid) : "—";
  cells[3].textContent = quote.ask ? group(quote.ask) : "—";
  cells[4].textContent = quote.last ? group(quote.last) : "—";
  const open = Dec.parse(openOf(instrument.symbol, quote) ?? "");
  const last = Dec.parse(quote.last ?? "");
  if (open && last && !open.isZero()) {
    const change = last.sub(open);
    const pct = change.mul("100").toNumber() / open.toNumber();
    cells[5].textContent = signed(change, places);
    cells[6].textContent = `${pct > 0 ? "+" : ""}${pct.toFixed(2)}%`;
    tr.dataset.dir = change.sign() > 0 ? "up" : change.sign() < 0 ? "down" : "flat";
  } else {
    cells[5].textContent = "—";
    cells[6].textContent = "—";
    tr.dataset.dir = "flat";
  }
  cells[7].textContent = instrument.status === "halted" ? "Halted" : "Trading";
  tr.classList.toggle("halted", instrument.status === "halted");
  if (previous && quote.last && previous !== quote.last) {
    const up = Dec.parse(quote.last).cmp(previous) > 0;
    cells[4].classList.remove("tick-up", "tick-down");
    void cells[4].offsetWidth; // restart the flash
    cells[4].classList.add(up ? "tick-up" : "tick-down");
  }
  row.shownLast = quote.last;
}

function open(symbol) {
  location.href = `/trade/${encodeURIComponent(symbol)}/`;
}

function build(instruments) {
  tbody.replaceChildren();
  for (const instrument of instruments) {
    const tr = el("tr", {
      tabindex: "0", dataset: { symbol: instrument.symbol }, "aria-label": `${instrument.symbol} ${instrument.name}`,
      onclick: () => open(instrument.symbol),
      onkeydown: (e) => e.key === "Enter" && open(instrument.symbol),
    },
    el("th", { scope: "row" }, el("a", { href: `/trade/${encodeURIComponent(instrument.symbol)}/`, tabindex: "-1" }, instrument.symbol)),
    el("td", { class: "hide-sm muted" }, instrument.name),
    el("td", { class: "num buy-fg" }), el("td", { class: "num sell-fg" }), el("td", { class: "num strong" }),
    el("td", { class: "num chg" }), el("td", { class: "num chg" }), el("td", { class: "hide-sm" }));
    const row = { tr, instrument, quote: rows.get(instrument.symbol)?.quote };
    rows.set(instrument.symbol, row);
    tbody.append(tr);
    renderRow(row);
  }
  applyFilter();
}

function applyFilter() {
  const text = filter.value.trim().toUpperCase();
  for (const { tr, instrument } of rows.values()) {
    tr.hidden = Boolean(text) && !instrument.symbol.includes(text) && !instrument.name.toUpperCase().includes(text);
  }
}

async function loadQuotes() {
  try {
    for (const quote of await get("marketdata/quotes/")) {
      const row = rows.get(quote.symbol);
      if (row) {
        row.quote = quote;
        renderRow(row);
      }
    }
    notice("quotes", null);
  } catch (error) {
    if (error instanceof ApiError) noticeFor("quotes", error, "Quotes are unavailable");
    else throw error;
  }
}

async function load() {
  try {
    build(await list("instruments/"));
    notice("instruments", null);
    stream.subscribe(["quotes"], [...rows.keys()]);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    noticeFor("instruments", error, "Instruments could not be loaded");
    tbody.replaceChildren(el("tr", { class: "placeholder" }, el("td", { colspan: "8" }, "No instruments to show: the server did not answer. Retrying…")));
    setTimeout(load, 5000);
    return false;
  }
  await loadQuotes();
  return true;
}

const stream = new Stream();
bindConnection(stream);
stream.on("quote", (quote) => {
  const row = rows.get(quote.symbol);
  if (!row) return;
  row.quote = { ...row.quote, ...quote };
  renderRow(row);
});
stream.on("open", ({ reconnected }) => reconnected && loadQuotes());
stream.on("error", (message) => notice("stream", `Live data: ${message.message}`, "warn"));

filter.addEventListener("input", applyFilter);
filter.addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    const first = [...rows.values()].find((r) => !r.tr.hidden);
    if (first) open(first.instrument.symbol);
  } else if (e.key === "ArrowDown") {
    e.preventDefault();
    [...rows.values()].find((r) => !r.tr.hidden)?.tr.focus();
  }
});
document.addEventListener("keydown", (e) => {
  if (e.key === "/" && !isTyping(e)) {
    e.preventDefault();
    filter.focus();
    return;
  }
  if (!(e.target instanceof HTMLTableRowElement)) return;
  const visible = $$("#watchlist tbody tr").filter((tr) => !tr.hidden);
  const index = visible.indexOf(e.target);
  if (e.key === "ArrowDown" && index < visible.length - 1) {
    e.preventDefault();
    visible[index + 1].focus();
  } else if (e.key === "ArrowUp") {
    e.preventDefault();
    (index > 0 ? visible[index - 1] : filter).focus();
  }
});

stream.start();
if (cfg.instruments?.length) build(cfg.instruments); // painted at once; the API refreshes it
load();
