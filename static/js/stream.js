// The WebSocket API (/ws/v1/, API.md) with reconnection: it keeps the wanted subscriptions,
// sends them again on every (re)connect, pings, and treats silence as a dead connection.
// The private stream (`orders`: order_update, position, account) is followed by its `seq`: each
// message is handed on once, in order; a reconnect resumes with `since` (the server replays what
// was missed); a gap resubscribes from the last seq; when the server can no longer resume
// (`resume_too_old`), "private_reset" tells the page to reload its private state by REST.

const PING_EVERY_MS = 15000;
const SILENCE_LIMIT_MS = 40000; // heartbeats come every 15 s; our pings are answered too
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];
export const PRIVATE_TYPES = new Set(["order_update", "account", "position"]);
const RESUME_REFUSED = new Set(["resume_too_old", "since_in_future", "invalid_since"]);

export class Stream {
  constructor(url = defaultUrl()) {
    this.url = url;
    this.ws = null;
    this.state = "connecting";
    this.attempt = 0;
    this.connectedOnce = false;
    this.handlers = new Map();
    this.wanted = new Map(); // channel -> Set of symbols ("orders" -> empty set)
    this.privateSeq = null; // seq of the last private message handed on (null: not known yet)
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
    this.send(this.subscription(channels, symbols));
  }

  /** A subscribe message; the orders channel resumes after the last private seq when it is known. */
  subscription(channels, symbols) {
    const message = { action: "subscribe", channels, symbols };
    if (channels.includes("orders") && this.privateSeq !== null) message.since = this.privateSeq;
    return message;
  }

  /** Resubscribe the orders channel from the last private seq (a gap: the server replays it). */
  resumePrivate() {
    this.send({ action: "unsubscribe", channels: ["orders"], symbols: [] });
    this.send(this.subscription(["orders"], []));
  }

  /** A private message: handed on if it is the next one; a repeat is dropped, a gap resumes. */
  onPrivate(message) {
    const seq = message.seq;
    if (typeof seq !== "number") return this.emit(message.type, message);
    if (this.privateSeq !== null && seq <= this.privateSeq) return; // seen already (a replay's seam)
    if (this.privateSeq !== null && seq !== this.privateSeq + 1) {
      if (!this.resuming) {
        this.resuming = true;
        this.resumePrivate();
      }
      return;
    }
    this.privateSeq = seq;
    this.emit(message.type, message);
  }

  onSubscribed(message) {
    if (message.channels?.includes("orders") && typeof message.seq === "number") {
      this.resuming = false;
      if (this.privateSeq === null) this.privateSeq = message.seq;
    }
  }

  onError(message) {
    if (RESUME_REFUSED.has(message.code)) {
      // The stream cannot continue from our seq: start it afresh; the page reloads by REST.
      this.privateSeq = null;
      this.resuming = false;
      if (this.wanted.has("orders")) this.send(this.subscription(["orders"], []));
      this.emit("private_reset", message);
      return true;
    }
    return false;
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
      if (!message || typeof message.type !== "string") return;
      if (PRIVATE_TYPES.has(message.type)) return this.onPrivate(message);
      if (message.type === "subscribed") this.onSubscribed(message);
      if (message.type === "error" && this.onError(message)) return;
      this.emit(message.type, message);
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
    this.resuming = false;
    for (const [key, channels] of bySymbols) {
      this.send(this.subscription(channels, key ? key.split(",") : []));
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
