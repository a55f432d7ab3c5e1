// The WebSocket API (/ws/v1/, API.md) with reconnection: it keeps the wanted subscriptions,
// sends them again on every (re)connect, pings, and treats silence as a dead connection.

const PING_EVERY_MS = 15000;
const SILENCE_LIMIT_MS = 40000; // heartbeats come every 15 s; our pings are answered too
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];

export class Stream {
  constructor(url = defaultUrl()) {
    this.url = url;
    this.ws = null;
    this.state = "connecting";
    this.attempt = 0;
    this.connectedOnce = false;
    this.handlers = new Map();
    this.wanted = new Map(); // channel -> Set of symbols ("orders" -> empty set)
    this.lastMessageAt = 0;
    this.closing = false;
    this.timers = {};
    addEventListener("pagehide", () => this.close());
    addEventListener("pageshow", (event) => event.persisted && this.restart()); // back from the bfcache
    addEventListener("online", () => this.state !== "live" && this.reconnectNow());
  }

  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(handler);
    return this;
  }

  emit(type, message) {
    for (const handler of this.handlers.get(type) || []) {
      try {
        handler(message);
      } catch (error) {
        // One panel's bug must not stop the others from updating.
        reportError(error);
      }
    }
  }

  start() {
    this.connect();
    this.timers.ping = setInterval(() => this.tick(), 5000);
    return this;
  }

  restart() {
    this.closing = false;
    this.connectedOnce = true; // what follows is a reconnect: the page resyncs
    this.attempt = 0;
    this.start();
  }

  close() {
    this.closing = true;
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.retry);
    if (this.ws) this.ws.close(1000);
  }

  subscribe(channels, symbols = []) {
    for (const channel of channels) {
      if (!this.wanted.has(channel)) this.wanted.set(channel, new Set());
      for (const symbol of symbols) this.wanted.get(channel).add(symbol);
    }
    this.send({ action: "subscribe", channels, symbols });
  }

  unsubscribe(channels, symbols = []) {
    for (const channel of channels) {
      const set = this.wanted.get(channel);
      if (!set) continue;
      for (const symbol of symbols) set.delete(symbol);
      if (!symbols.length || !set.size) this.wanted.delete(channel);
    }
    this.send({ action: "unsubscribe", channels, symbols });
  }

  /** Ask for a fresh book_snapshot of a symbol: leave and join its book channel. */
  resyncBook(symbol) {
    this.send({ action: "unsubscribe", channels: ["book"], symbols: [symbol] });
    this.send({ action: "subscribe", channels: ["book"], symbols: [symbol] });
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false; // sent again on (re)connect from `wanted`
  }

  connect() {
    this.setState(this.connectedOnce ? "reconnecting" : "connecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const reconnected = this.connectedOnce;
      this.connectedOnce = true;
      this.attempt = 0;
      this.lastMessageAt = Date.now();
      this.resubscribe();
      this.setState("live");
      this.emit("open", { reconnected });
    };
    ws.onmessage = (event) => {
      this.lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message && typeof message.type === "string") this.emit(message.type, message);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closing) return;
      this.emit("close", {});
      this.scheduleRetry();
    };
    ws.onerror = () => {}; // a close event follows
  }

  resubscribe() {
    const bySymbols = new Map(); // "A,B" -> channels sharing exactly those symbols
    for (const [channel, symbols] of this.wanted) {
      const key = [...symbols].sort().join(",");
      if (!bySymbols.has(key)) bySymbols.set(key, []);
      bySymbols.get(key).push(channel);
    }
    for (const [key, channels] of bySymbols) {
      this.send({ action: "subscribe", channels, symbols: key ? key.split(",") : [] });
    }
  }

  scheduleRetry() {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState(this.connectedOnce ? "reconnecting" : "connecting");
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.closing) return;
    clearTimeout(this.timers.retry);
    if (this.ws) this.ws.close();
    else this.connect();
  }

  tick() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    const silent = Date.now() - this.lastMessageAt;
    if (silent > SILENCE_LIMIT_MS) {
      this.ws.close(); // onclose reconnects
      return;
    }
    if (silent > PING_EVERY_MS - 5000) this.send({ action: "ping" });
  }

  setState(state) {
    if (this.state === state && state !== "reconnecting") return;
    this.state = state;
    this.emit("status", { state, attempt: this.attempt, retryAt: this.retryAt });
  }
}

function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/v1/`;
}
