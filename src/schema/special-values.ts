/**
 * Parsing of the API's special scalar JSON forms (times, quantities, durations, bytes), with
 * the error texts the upstream Go unmarshalers give for bad input.
 */

/** An RFC 3339 timestamp as metav1.Time accepts it (fraction and offset optional parts). */
export const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** The quantity grammar upstream checks first; its error text quotes this pattern. */
export const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_SUFFIX = /^(|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][-+]?[0-9]+)$/;
const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** A Go `time.Duration` string such as "1h30m", "-1.5s" or "0". */
export const GO_DURATION = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/;

/** Standard base64 with padding, as Go's encoding/json reads `[]byte`. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The Go quoting of a string in error messages (close enough to strconv.Quote for printable text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/**
 * Parses an RFC 3339 time and re-renders it as the server would store it: UTC, with
 * `fractionDigits` fraction digits (0 for metav1.Time, 6 for metav1.MicroTime).
 * Returns an error text when the string does not parse.
 */
export function normalizeTime(s: string, fractionDigits: 0 | 6): { value: string } | { error: string } {
  const m = RFC3339.exec(s);
  if (!m) return { error: `parsing time ${goQuote(s)} as "2006-01-02T15:04:05Z07:00": cannot parse ${goQuote(s)} as "2006"` };
  const [, y, mo, d, h, mi, sec, frac, , sign, oh, om] = m;
  const day = new Date(Date.UTC(2000, +mo - 1, +d));
  day.setUTCFullYear(+y);
  if (+mo < 1 || +mo > 12) return { error: `parsing time ${goQuote(s)}: month out of range` };
  if (day.getUTCDate() !== +d || +h > 23 || +mi > 59 || +sec > 59) return { error: `parsing time ${goQuote(s)}: day out of range` };
  let ms = day.getTime() + ((+h * 60 + +mi) * 60 + +sec) * 1000;
  if (sign) ms -= (sign === "+" ? 1 : -1) * (+oh * 60 + +om) * 60_000;
  const t = new Date(ms);
  const base = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
  // Offsets are whole minutes, so the fraction survives the shift to UTC unchanged.
  const fraction = fractionDigits ? `.${(frac ?? ".").slice(1).padEnd(6, "0").slice(0, 6)}` : "";
  return { value: `${base}${fraction}Z` };
}

/** Checks a quantity string; returns upstream's error text or undefined when it parses. */
export function quantityError(s: string): string | undefined {
  const m = QUANTITY.exec(s.trim());
  if (!m || !/[0-9]/.test(m[1])) return QUANTITY_FORMAT_ERROR;
  if (!QUANTITY_SUFFIX.test(m[2])) return "unable to parse quantity's suffix";
  return undefined;
}

/** The error for a quantity given as a JSON value that is neither string nor number. */
export const QUANTITY_TYPE_ERROR = QUANTITY_FORMAT_ERROR;

/** Checks a Go duration string; returns upstream's error text or undefined when it parses. */
export function durationError(s: string): string | undefined {
  return GO_DURATION.test(s) ? undefined : `time: invalid duration ${goQuote(s)}`;
}

/** Checks base64 text; returns the Go error text or undefined when it decodes. */
export function base64Error(s: string): string | undefined {
  if (BASE64.test(s)) return undefined;
  const bad = s.search(/[^A-Za-z0-9+/=]/);
  const at = bad >= 0 ? bad : s.length - (s.length % 4 || 4);
  return `illegal base64 data at input byte ${Math.max(0, at)}`;
}
