// Exact decimal arithmetic for prices, quantities and cash, which the API sends as strings.
// A value is units / 10^scale with BigInt units, so tick and lot checks never round.

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

export class Dec {
  constructor(units, scale) {
    this.units = units;
    this.scale = scale;
  }

  /** A Dec from a string like "190.25", "-3", "0.5"; null when the text is not a plain decimal. */
  static parse(text) {
    if (text instanceof Dec) return text;
    if (typeof text === "number") text = String(text);
    if (typeof text !== "string") return null;
    const match = DECIMAL.exec(text.trim());
    if (!match) return null;
    const [, sign, whole, frac = ""] = match;
    if (!whole && !frac) return null;
    const units = BigInt((whole || "0") + frac);
    return new Dec(sign === "-" ? -units : units, frac.length);
  }

  static zero() {
    return new Dec(0n, 0);
  }

  static #aligned(a, b) {
    const scale = Math.max(a.scale, b.scale);
    return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
  }

  add(other) {
    const [a, b, scale] = Dec.#aligned(this, Dec.parse(other));
    return new Dec(a + b, scale);
  }

  sub(other) {
    const [a, b, scale] = Dec.#aligned(this, Dec.parse(other));
    return new Dec(a - b, scale);
  }

  mul(other) {
    const o = Dec.parse(other);
    return new Dec(this.units * o.units, this.scale + o.scale);
  }

  neg() {
    return new Dec(-this.units, this.scale);
  }

  cmp(other) {
    const [a, b] = Dec.#aligned(this, Dec.parse(other));
    return a < b ? -1 : a > b ? 1 : 0;
  }

  sign() {
    return this.units < 0n ? -1 : this.units > 0n ? 1 : 0;
  }

  isZero() {
    return this.units === 0n;
  }

  /** True when this is a whole multiple of step (step > 0). */
  isMultipleOf(step) {
    const [a, b] = Dec.#aligned(this, Dec.parse(step));
    return b !== 0n && a % b === 0n;
  }

  /** Digits after the point once trailing zeros are dropped. */
  places() {
    let { units, scale } = this;
    while (scale > 0 && units % 10n === 0n) {
      units /= 10n;
      scale -= 1;
    }
    return scale;
  }

  /** Rounded half away from zero to `places` decimals, as a string. */
  toFixed(places) {
    let units = this.units;
    if (places < this.scale) {
      const divisor = 10n ** BigInt(this.scale - places);
      const half = divisor / 2n;
      const magnitude = units < 0n ? -units : units;
      let rounded = magnitude / divisor;
      if (magnitude % divisor >= half && divisor > 1n) rounded += 1n;
      units = units < 0n ? -rounded : rounded;
    } else {
      units *= 10n ** BigInt(places - this.scale);
    }
    const negative = units < 0n;
    let digits = (negative ? -units : units).toString().padStart(places + 1, "0");
    const text = places ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits;
    return negative && /[1-9]/.test(text) ? `-${text}` : text;
  }

  toString() {
    return this.toFixed(this.places());
  }

  toNumber() {
    return Number(this.toString());
  }
}

/** Thousands separators on a decimal string ("1234567.5" -> "1,234,567.5"); other text unchanged. */
export function group(text) {
  if (text === null || text === undefined || text === "") return "—";
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(String(text));
  if (!match) return String(text);
  return match[1] + match[2].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (match[3] || "");
}

/** Cash for display: two places, grouped. */
export function money(value) {
  const d = Dec.parse(value);
  return d ? group(d.toFixed(2)) : "—";
}

/** A signed change with its sign ("+1.25", "-0.50"). */
export function signed(dec, places) {
  const text = dec.toFixed(places);
  return dec.sign() > 0 ? `+${text}` : text;
}
