// The REST API (/api/v1/, API.md) for the browser: session cookie, CSRF header on writes,
// and every failure turned into an ApiError with a message a trader can read.

const PREFIX = "/api/v1/";

export class ApiError extends Error {
  /**
   * kind: "invalid" (400), "auth" (401/403), "not_found" (404), "refused" (422),
   * "rate_limited" (429), "unavailable" (5xx), "network" (no answer).
   */
  constructor(kind, status, message, { fields = {}, code = null, retryAfter = null } = {}) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.fields = fields;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export function csrfToken() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

const FIELD_LABELS = {
  qty: "Quantity", limit_price: "Limit price", stop_price: "Stop price", time_in_force: "Time in force",
  post_only: "Post only", side: "Side", type: "Type", symbol: "Symbol", client_order_id: "Client order id",
  non_field_errors: "", detail: "",
};

export function fieldLabel(field) {
  return field in FIELD_LABELS ? FIELD_LABELS[field] : field.replace(/_/g, " ");
}

function flatten(value) {
  if (Array.isArray(value)) return value.map(flatten).join(" ");
  if (value && typeof value === "object") return Object.values(value).map(flatten).join(" ");
  return String(value);
}

function errorFrom(response, data) {
  const status = response.status;
  const detail = data && typeof data === "object" && typeof data.detail === "string" ? data.detail : null;
  if (status === 400) {
    const fields = {};
    if (data && typeof data === "object" && !detail) {
      for (const [field, messages] of Object.entries(data)) fields[field] = flatten(messages);
    }
    const summary = detail || Object.entries(fields)
      .map(([f, m]) => (fieldLabel(f) ? `${fieldLabel(f)}: ${m}` : m)).join(" ") || "The request was not valid.";
    return new ApiError("invalid", status, summary, { fields });
  }
  if (status === 401 || status === 403) {
    const text = status === 401 || /credentials|authenticat/i.test(detail || "")
      ? "Your session has ended. Log in again to continue."
      : detail || "The server refused this request.";
    return new ApiError("auth", status, text);
  }
  if (status === 404) return new ApiError("not_found", status, detail || "Not found: it may have been removed.");
  if (status === 422) {
    return new ApiError("refused", status, (data && data.detail) || "The order was refused.", { code: data && data.code });
  }
  if (status === 429) {
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    return new ApiError("rate_limited", status,
      `Too many requests: try again${retryAfter ? ` in ${retryAfter} s` : " shortly"}.`, { retryAfter });
  }
  if (status >= 500) {
    const retryAfter = Number(response.headers.get("Retry-After")) || null;
    return new ApiError("unavailable", status, status === 503
      ? "The service is temporarily unavailable; retrying."
      : `The server failed (${status}). Try again in a moment.`, { retryAfter });
  }
  return new ApiError("unavailable", status, detail || `Unexpected answer from the server (${status}).`);
}

export async function api(method, path, body, { timeoutMs = 15000 } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(PREFIX + path, {
      method, headers, credentials: "same-origin", signal: controller.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError("network", 0, controller.signal.aborted
      ? "The server did not answer in time. Check open orders before sending again."
      : "The server is unreachable. The page keeps retrying.");
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  const text = await response.text().catch(() => "");
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (response.ok) return data;
  throw errorFrom(response, data);
}

export const get = (path, options) => api("GET", path, undefined, options);

/** All rows of a paginated list (up to `max`), or the list itself when the answer is a plain list. */
export async function list(path, { max = 1000 } = {}) {
  const sep = path.includes("?") ? "&" : "?";
  const data = await get(`${path}${sep}page_size=${Math.min(max, 1000)}`);
  return Array.isArray(data) ? data : data.results || [];
}
