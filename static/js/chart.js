// Candles with volume (TradingView Lightweight Charts, vendored as a global script): history
// from REST, then live `candle` messages of the shown interval. On the 1m interval, the session
// VWAP as a line: its minute history from REST `analytics/`, then live `analytics` messages.

import { ApiError, get } from "./api.js";

const UP = "#16a34a";
const DOWN = "#dc2626";

function seconds(t) {
  const ms = typeof t === "number" ? (t > 1e12 ? t : t * 1000) : Date.parse(t);
  return Math.floor(ms / 1000);
}

export class CandleChart {
  constructor(container, message, { symbol, tickSize, pricePlaces }) {
    this.container = container;
    this.message = message;
    this.symbol = symbol;
    this.interval = "1m";
    this.lastTime = null;
    this.loading = 0;
    const charts = window.LightweightCharts;
    if (!charts) {
      this.show("The chart library did not load; prices and trading still work.");
      return;
    }
    this.chart = charts.createChart(container, {
      autoSize: true,
      layout: { background: { type: "solid", color: "#0f1115" }, textColor: "#8a93a6", fontSize: 11, attributionLogo: true },
      grid: { vertLines: { color: "#1b2029" }, horzLines: { color: "#1b2029" } },
      rightPriceScale: { borderColor: "#242936" },
      timeScale: { borderColor: "#242936", timeVisible: true, secondsVisible: false, rightOffset: 8, barSpacing: 9 },
      crosshair: { mode: charts.CrosshairMode ? charts.CrosshairMode.Normal : 0 },
    });
    this.candles = this.chart.addSeries(charts.CandlestickSeries, {
      upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false,
      priceFormat: { type: "price", precision: pricePlaces, minMove: Number(tickSize) },
    });
    this.candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });
    this.volume = this.chart.addSeries(charts.HistogramSeries, {
      priceFormat: { type: "volume" }, priceScaleId: "", lastValueVisible: false, priceLineVisible: false,
    });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    this.vwap = this.chart.addSeries(charts.LineSeries, {
      color: "#f59e0b", lineWidth: 1, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false,
      title: "VWAP", priceFormat: { type: "price", precision: pricePlaces, minMove: Number(tickSize) / 100 },
    });
    this.vwapTime = null;
  }

  /** The session VWAP line from the analytics minute history ([{t, session_vwap}], oldest first). */
  setVwap(history) {
    if (!this.chart) return;
    const points = history.filter((row) => row.session_vwap !== null)
      .map((row) => ({ time: seconds(row.t), value: Number(row.session_vwap) }))
      .filter((point, i, all) => i === 0 || point.time > all[i - 1].time);
    this.vwapPoints = points;
    this.vwap.setData(this.interval === "1m" ? points : []);
    this.vwapTime = points.length ? points[points.length - 1].time : null;
  }

  /** An `analytics` message: the session VWAP of its minute. */
  updateVwap(values) {
    if (!this.chart || !values?.minute || values.session_vwap === null || values.session_vwap === undefined) return;
    const point = { time: seconds(values.minute), value: Number(values.session_vwap) };
    if (this.vwapTime !== null && point.time < this.vwapTime) return;
    this.vwapPoints = [...(this.vwapPoints || []).filter((p) => p.time < point.time), point];
    this.vwapTime = point.time;
    if (this.interval === "1m") this.vwap.update(point);
  }

  show(text) {
    this.message.hidden = !text;
    this.message.textContent = text || "";
  }

  async load(interval = this.interval) {
    this.interval = interval;
    if (!this.chart) return;
    const ticket = ++this.loading;
    let rows;
    try {
      rows = await get(`marketdata/${encodeURIComponent(this.symbol)}/candles/?interval=${interval}&limit=300`);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (ticket === this.loading) this.show(`Chart unavailable: ${error.message}`);
      return;
    }
    if (ticket !== this.loading) return; // a newer interval was chosen meanwhile
    const bars = (Array.isArray(rows) ? rows : rows.results || []).map((c) => this.bar(c))
      .sort((a, b) => a.time - b.time)
      .filter((bar, i, all) => i === 0 || bar.time !== all[i - 1].time);
    this.candles.setData(bars.map(({ volume, ...bar }) => bar));
    this.vwap.setData(interval === "1m" ? this.vwapPoints || [] : []); // minute points: on the 1m bars only
    this.volume.setData(bars.map((bar) => this.volumeBar(bar)));
    this.lastTime = bars.length ? bars[bars.length - 1].time : null;
    this.show(bars.length ? null : "No trades yet in this interval: candles appear with the first trade.");
    if (bars.length) this.chart.timeScale().scrollToRealTime();
  }

  bar(c) {
    return { time: seconds(c.t), open: Number(c.o), high: Number(c.h), low: Number(c.l), close: Number(c.c), volume: Number(c.v) };
  }

  volumeBar(bar) {
    return { time: bar.time, value: bar.volume, color: bar.close >= bar.open ? "rgba(22,163,74,.45)" : "rgba(220,38,38,.45)" };
  }

  /** A `candle` message: update the last bar or add a new one (older bars are ignored). */
  update(message) {
    if (!this.chart || message.symbol !== this.symbol || (message.interval && message.interval !== this.interval)) return;
    const bar = this.bar(message);
    if (this.lastTime !== null && bar.time < this.lastTime) return;
    const { volume, ...ohlc } = bar;
    this.candles.update(ohlc);
    this.volume.update(this.volumeBar(bar));
    this.lastTime = bar.time;
    this.show(null);
  }
}
