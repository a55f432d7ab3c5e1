// The trade screen: wires the REST loads and the WebSocket stream into the panels.
// Every update arrives without a reload and nothing is polled: orders, fills, the account and the
// positions come as private pushes, which after a reconnect resume from the last seq (stream.js);
// only what the private stream cannot give back (resume_too_old) is fetched again.

import { AlertsPanel, AnalyticsPanel } from "./analytics.js";
import { ApiError, get, list } from "./api.js";
import { Blotter } from "./blotter.js";
import { OrderBook } from "./book.js";
import { CandleChart } from "./chart.js";
import { Dec, group, signed } from "./decimal.js";
import { Ladder } from "./ladder.js";
import { drawRisk } from "./risk.js";
import { Store } from "./store.js";
import { Stream } from "./stream.js";
import { Tape } from "./tape.js";
import { Ticket } from "./ticket.js";
import { $, $$, bindConnection, config, debounce, frameThrottle, isTyping, loginLink, notice, noticeFor } from "./ui.js";

const cfg = config();
const symbol = cfg.symbol;
const store = new Store();
for (const instrument of cfg.instruments || []) store.instruments.set(instrument.symbol, instrument);
const instrument = store.instruments.get(symbol);
const placesOf = (step) => Dec.parse(step)?.places() ?? 2;
const pricePlaces = placesOf(instrument.tick_size);

const stream = new Stream();
const book = new OrderBook(symbol);
let sessionEnded = false;

function endSession() {
  if (sessionEnded) return;
  sessionEnded = true;
  notice("session", "Your session has ended: trading is paused. Log in again to continue.", "error", { action: loginLink() });
}

// --- Panels -----------------------------------------------------------------
const ladder = new Ladder({
  table: $("#ladder"), message: $("#ladder-msg"), seqLabel: $("#ladder-seq"), book, store, symbol,
  onPick: (price) => ticket.setPrice(price),
});
const drawLadder = frameThrottle(() => ladder.render());
store.on("orders", drawLadder);

const tape = new Tape({ table: $("#tape"), message: $("#tape-msg") });
const chart = new CandleChart($("#chart"), $("#chart-msg"), { symbol, tickSize: instrument.tick_size, pricePlaces });
const analytics = new AnalyticsPanel({ root: $("#analytics"), message: $("#analytics-msg"), symbol, chart });
const alerts = new AlertsPanel({ form: $("#alert-form"), table: $("#alerts"), message: $("#alerts-msg"), symbol });
const ticket = new Ticket({
  form: $("#ticket"), store, instrument, onSessionEnded: endSession,
  onPlaced: (order, refusal) => {
    if (order) return; // its updates, the reservation in the account included, come as pushes
    loadOrders(); // the refused order is kept as rejected: it shows in the history
    if (refusal === "instrument_halted" || refusal === "price_out_of_band") loadInstruments();
  },
});
const blotter = new Blotter({ store, symbol, instruments: store.instruments, onSessionEnded: endSession, onChanged: () => loadOrders() });

function drawHeader() {
  const quote = store.quotes.get(symbol) || {};
  $("#hd-last").textContent = quote.last ? group(quote.last) : "—";
  $("#hd-bid").textContent = quote.bid ? `${group(quote.bid)} × ${group(quote.bid_qty)}` : "—";
  $("#hd-ask").textContent = quote.ask ? `${group(quote.ask)} × ${group(quote.ask_qty)}` : "—";
  const open = Dec.parse(quote.open || cfg.opens?.[symbol] || "");
  const last = Dec.parse(quote.last || "");
  const chg = $("#hd-chg");
  if (open && last && !open.isZero()) {
    const change = last.sub(open);
    const pct = change.mul("100").toNumber() / open.toNumber();
    chg.textContent = `${signed(change, pricePlaces)} (${pct > 0 ? "+" : ""}${pct.toFixed(2)}%)`;
    chg.className = `v num ${change.sign() > 0 ? "up" : change.sign() < 0 ? "down" : ""}`;
  } else {
    chg.textContent = "—";
  }
  const status = $("#hd-status");
  const current = store.instruments.get(symbol)?.status || instrument.status;
  status.dataset.status = current;
  status.textContent = current === "halted" ? "Halted" : "Trading";
  document.title = `${quote.last ? `${quote.last} ` : ""}${symbol} · Trade · Tradeapp`;
}
store.on("quotes", frameThrottle(drawHeader));

// --- REST loads -------------------------------------------------------------
async function guarded(key, what, load) {
  try {
    await load();
    notice(key, null);
    return true;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.kind === "auth") endSession();
    else noticeFor(key, error, what);
    return false;
  }
}

function heldSymbols() {
  return [...new Set([symbol, ...store.positions.keys()])];
}

function quoteHeldSymbols() {
  const missing = heldSymbols().filter((s) => !stream.wanted.get("quotes")?.has(s));
  if (missing.length) stream.subscribe(["quotes"], missing);
}

const loadAccount = () => guarded("account", "Balances could not be loaded", async () => {
  const pushes = store.pushCount(); // a push that arrives during the load is newer than it
  const [account, positions, risk] = await Promise.all([get("account/"), list("positions/"), get("account/risk/")]);
  store.setAccount(account, pushes);
  drawRisk(risk);
  store.setPositions(positions, pushes);
  quoteHeldSymbols();
});

// The risk lines follow the account: a push of it (a fill, a reservation) refreshes them, at most
// twice a second.
const loadRisk = () => guarded("risk", "Risk figures could not be loaded", async () => drawRisk(await get("account/risk/")));
store.on("account", debounce(loadRisk, 500));

const loadOrders = () => guarded("orders", "Orders could not be loaded", async () => {
  const [open, closed, fills] = await Promise.all([
    list("orders/?status=open", { max: 500 }), list("orders/?status=closed", { max: 200 }), list("trades/", { max: 200 }),
  ]);
  store.loadOrders(closed);
  store.loadOrders(open, { open: true });
  store.addFills(fills);
});

const loadMarket = () => guarded("market", `${symbol} market data could not be loaded`, async () => {
  const [quotes, trades] = await Promise.all([
    get(`marketdata/quotes/?symbols=${heldSymbols().map(encodeURIComponent).join(",")}`),
    get(`marketdata/${encodeURIComponent(symbol)}/trades/?limit=50`),
  ]);
  for (const quote of quotes) store.setQuote(quote);
  tape.load(trades);
});

const loadInstruments = () => guarded("instruments", "Instrument status could not be loaded", async () => {
  for (const row of await list("instruments/")) {
    // In place: the ticket and blotter hold these objects (tick, lot and status stay current).
    if (store.instruments.has(row.symbol)) Object.assign(store.instruments.get(row.symbol), row);
    else store.instruments.set(row.symbol, row);
  }
  drawHeader();
});

function loadAll() {
  return Promise.all([loadAccount(), loadOrders(), loadMarket(), chart.load(), analytics.load(), alerts.load()]);
}

// --- Stream -----------------------------------------------------------------
bindConnection(stream);
stream.on("book_snapshot", (message) => {
  if (message.symbol !== symbol) return;
  book.snapshot(message);
  ladder.setState("live");
});
stream.on("book_delta", (message) => {
  if (message.symbol !== symbol) return;
  const result = book.delta(message);
  if (result === "applied") drawLadder();
  else if (result === "gap") {
    $("#ladder").dataset.resyncs = String(Number($("#ladder").dataset.resyncs || 0) + 1);
    ladder.setState("resyncing");
    stream.resyncBook(symbol);
  }
});
stream.on("quote", (quote) => store.setQuote(quote));
stream.on("trade", (trade) => trade.symbol === symbol && tape.add(trade));
stream.on("candle", (candle) => chart.update(candle));
stream.on("analytics", (message) => analytics.onMessage(message));
stream.on("alert", (message) => alerts.onAlert(message));
stream.on("order_update", ({ order, fill }) => {
  store.upsertOrder(order);
  if (fill) {
    store.addFills([{ ...fill, order_id: order.id, symbol: order.symbol, side: order.side, ts: fill.ts || order.updated_at }]);
  }
});
stream.on("account", (account) => store.pushAccount(account));
stream.on("position", (position) => {
  store.pushPosition(position);
  quoteHeldSymbols();
});
// The private stream could not resume from our seq: it starts afresh, and the state is fetched once.
stream.on("private_reset", () => Promise.all([loadAccount(), loadOrders()]));
stream.on("instrument", (row) => {
  const { type, ...fields } = row;
  if (store.instruments.has(fields.symbol)) Object.assign(store.instruments.get(fields.symbol), fields);
  if (fields.symbol === symbol) drawHeader();
});
stream.on("error", (message) => {
  if (/auth|login|permission|forbidden/i.test(`${message.code} ${message.message}`)) endSession();
  else notice("stream", `Live data: ${message.message || message.code}`, "warn");
});
stream.on("close", () => {
  book.invalidate();
  ladder.setState("stale");
});
stream.on("open", ({ reconnected }) => {
  if (ladder.state !== "live") ladder.setState("waiting");
  if (!reconnected) return;
  // The book comes again as a snapshot and the private stream resumes from its seq; the tape, the
  // quotes, the candles and the instruments' status missed while away are fetched once.
  loadMarket();
  chart.load();
  loadInstruments(); // a halt or resume while away was pushed to no one here
  if (stream.privateSeq === null) Promise.all([loadAccount(), loadOrders()]);
});

stream.subscribe(["book", "trades", "quotes", "candles", "analytics"], [symbol]);
stream.subscribe(["orders"]);
stream.start();
ladder.render();
drawHeader();
loadAll();

// --- Controls and keys --------------------------------------------------------
$("#symbol-switch").addEventListener("change", (e) => {
  location.href = `/trade/${encodeURIComponent(e.target.value)}/`;
});
for (const button of $$("#intervals button")) {
  button.addEventListener("click", () => {
    for (const b of $$("#intervals button")) b.setAttribute("aria-pressed", String(b === button));
    chart.load(button.dataset.interval);
  });
}
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "Escape" && isTyping(e)) {
    e.target.blur();
    return;
  }
  if (isTyping(e)) return;
  const key = e.key.toLowerCase();
  if (key === "/") {
    e.preventDefault();
    $("#symbol-switch").focus();
  } else if (key === "b" || key === "s") {
    e.preventDefault();
    ticket.setSide(key === "b" ? "buy" : "sell");
    $("#t-qty").focus();
  } else if (["1", "2", "3", "4"].includes(key)) {
    blotter.selectTab(Number(key) - 1);
  }
});
