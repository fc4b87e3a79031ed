/**
 * Kubernetes resource quantities ("100m", "1Gi", "1.5", "1e3"): parsing to a milli-unit value,
 * comparison, and the canonical spelling the apiserver stores and prints.
 */

/** How a quantity was written; the canonical form keeps the family of the input. */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

export interface ParsedQuantity {
  /** The value in thousandths, rounded up as the apiserver's MilliValue() does. */
  milli: number;
  format: QuantityFormat;
}

/** The decoder's message for a malformed quantity (a 400 at decode time upstream). */
export const QUANTITY_SYNTAX_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const SHAPE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

interface Exact {
  /** value = num / 10^scale * 2^shift */
  num: bigint;
  scale: number;
  shift: number;
  format: QuantityFormat;
}

function parseExact(s: string): Exact | undefined {
  const m = SHAPE.exec(s);
  if (!m) return undefined;
  const [, numberPart, suffix] = m;
  const sign = numberPart.startsWith("-") ? -1n : 1n;
  const digits = numberPart.replace(/^[+-]/, "");
  // The regex admits "1.2.3" and "."; the apiserver rejects those too.
  if (!/^(\d+\.?\d*|\.\d+)$/.test(digits)) return undefined;
  const [intPart, fracPart = ""] = digits.split(".");
  const num = sign * BigInt((intPart || "0") + fracPart);
  let scale = fracPart.length;
  if (suffix in BINARY) return { num, scale, shift: BINARY[suffix], format: "BinarySI" };
  if (suffix in DECIMAL) return { num, scale: scale - DECIMAL[suffix], shift: 0, format: "DecimalSI" };
  const exp = /^[eE]([-+]?\d+)$/.exec(suffix);
  if (!exp) return undefined;
  scale -= Number(exp[1]);
  return { num, scale, shift: 0, format: "DecimalExponent" };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n === b > 0n ? q + 1n : q;
}

function toMilli(e: Exact): bigint {
  // milli = num * 1000 * 2^shift / 10^scale, rounded towards +infinity.
  let top = e.num * 1000n * (1n << BigInt(e.shift));
  let bottom = 1n;
  if (e.scale >= 0) bottom = 10n ** BigInt(e.scale);
  else top *= 10n ** BigInt(-e.scale);
  return ceilDiv(top, bottom);
}

/**
 * Parses a quantity, or returns undefined when it is not one.
 * @example parseQuantity("250m") // { milli: 250, format: "DecimalSI" }
 * @example parseQuantity("1Gi")  // { milli: 1073741824000, format: "BinarySI" }
 */
export function parseQuantity(s: string | number): ParsedQuantity | undefined {
  if (typeof s === "number") {
    if (!Number.isFinite(s)) return undefined;
    return parseQuantity(String(s).replace(/e\+?/, "e"));
  }
  if (typeof s !== "string" || s.length === 0) return undefined;
  const e = parseExact(s);
  if (!e) return undefined;
  return { milli: Number(toMilli(e)), format: e.format };
}

/** Whether `s` is a syntactically valid quantity. */
export function isQuantity(s: unknown): boolean {
  return (typeof s === "string" || typeof s === "number") && parseQuantity(s) !== undefined;
}

/** Compares two quantities by value: negative, zero or positive like a sort comparator. */
export function compareQuantities(a: string | number, b: string | number): number {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  if (!x || !y) return 0;
  return x.milli - y.milli;
}

const DECIMAL_SUFFIXES: [number, string][] = [
  [18, "E"],
  [15, "P"],
  [12, "T"],
  [9, "G"],
  [6, "M"],
  [3, "k"],
  [0, ""],
];
const BINARY_SUFFIXES: [bigint, string][] = [
  [60n, "Ei"],
  [50n, "Pi"],
  [40n, "Ti"],
  [30n, "Gi"],
  [20n, "Mi"],
  [10n, "Ki"],
];

function formatDecimal(milli: bigint, exponent: boolean): string {
  const neg = milli < 0n;
  const abs = neg ? -milli : milli;
  const sign = neg ? "-" : "";
  if (abs === 0n) return "0";
  if (abs % 1000n !== 0n) return `${sign}${abs}m`;
  let units = abs / 1000n;
  let exp = 0;
  while (units % 1000n === 0n && exp < 18) {
    units /= 1000n;
    exp += 3;
  }
  if (exponent) return exp === 0 ? `${sign}${units}` : `${sign}${units}e${exp}`;
  const suffix = DECIMAL_SUFFIXES.find(([e]) => e === exp)?.[1] ?? "";
  return `${sign}${units}${suffix}`;
}

/**
 * The canonical spelling of a value: the largest suffix that keeps it a whole number, in the
 * family it was written in ("1.5Gi" → "1536Mi", "0.5" → "500m", "1000m" → "1").
 * Binary values that are not whole multiples of 1024 fall back to decimal, as upstream does.
 */
export function formatQuantity(milli: number | bigint, format: QuantityFormat = "DecimalSI"): string {
  const m = typeof milli === "bigint" ? milli : BigInt(Math.round(milli));
  if (format === "BinarySI" && m % 1000n === 0n) {
    const units = m / 1000n;
    const abs = units < 0n ? -units : units;
    for (const [shift, suffix] of BINARY_SUFFIXES) {
      const size = 1n << shift;
      if (abs >= size && abs % size === 0n) return `${units / size}${suffix}`;
    }
    if (abs < 1024n) return `${units}`;
  }
  return formatDecimal(m, format === "DecimalExponent");
}

/** Rewrites a quantity into its canonical spelling, or returns it unchanged when invalid. */
export function canonicalQuantity(s: string | number): string | number {
  const text = typeof s === "number" ? String(s).replace(/e\+?/, "e") : s;
  const e = typeof text === "string" && text.length > 0 ? parseExact(text) : undefined;
  if (!e) return s;
  // Kept as a bigint end to end: byte counts in the exbibyte range exceed a double's precision.
  return formatQuantity(toMilli(e), e.format);
}
