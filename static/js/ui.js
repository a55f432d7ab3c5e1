// Small DOM helpers shared by the pages: element building (text only, never HTML from data),
// page notices, the connection indicator, times.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function config() {
  const node = document.getElementById("ui-config");
  return node ? JSON.parse(node.textContent) : {};
}

// Notices: one line per key at the top of the page ("server", "session", ...).
const notices = new Map();

export function notice(key, text, level = "error", { action = null } = {}) {
  const box = document.getElementById("notices");
  if (!box) return;
  let node = notices.get(key);
  if (!text) {
    if (node) node.remove();
    notices.delete(key);
    return;
  }
  if (!node) {
    node = el("p", { class: "banner", dataset: { key } });
    notices.set(key, node);
    box.append(node);
  }
  node.className = `banner ${level}`;
  node.replaceChildren(text, action ? " " : "", action || "");
}

export function loginLink() {
  const next = encodeURIComponent(location.pathname + location.search);
  return el("a", { href: `/accounts/login/?next=${next}` }, "Log in");
}

/** Show an ApiError of a background read as a page notice; session ends get a login link. */
export function noticeFor(key, error, what) {
  if (error.kind === "auth") notice("session", error.message, "error", { action: loginLink() });
  else notice(key, `${what}: ${error.message}`, error.kind === "network" || error.kind === "unavailable" ? "warn" : "error");
}

export function bindConnection(stream) {
  const box = document.getElementById("conn");
  let countdown = null;
  const render = ({ state }) => {
    clearInterval(countdown);
    if (!box) return;
    box.dataset.state = state;
    const label = box.querySelector(".conn-label");
    if (state === "live") {
      label.textContent = "Live";
      notice("conn", null);
    } else if (state === "connecting") {
      label.textContent = "Connecting…";
    } else {
      const update = () => {
        const seconds = Math.max(0, Math.ceil((stream.retryAt - Date.now()) / 1000));
        label.textContent = seconds ? `Reconnecting in ${seconds}s…` : "Reconnecting…";
      };
      update();
      countdown = setInterval(update, 500);
      notice("conn", "Live updates interrupted: reconnecting. Data on screen may be out of date.", "warn");
    }
  };
  stream.on("status", render);
  render({ state: stream.state });
}

export function time(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString([], { hour12: false, hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function dateTime(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return "";
  const today = new Date().toDateString() === d.toDateString();
  return today ? time(ts) : `${d.toLocaleDateString([], { month: "short", day: "numeric" })} ${time(ts)}`;
}

/** Run fn at most once per animation frame (many messages, one repaint). */
export function frameThrottle(fn) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    const run = () => {
      pending = false;
      fn();
    };
    // Hidden pages get no animation frames; they still keep their state current.
    if (document.hidden) setTimeout(run, 100);
    else requestAnimationFrame(run);
  };
}

/** Run fn once, `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function isTyping(event) {
  const t = event.target;
  return t && (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName));
}
