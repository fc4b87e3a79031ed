/** Reading RFC 3339 timestamps from objects and rendering them as ages. */
import { humanDuration } from "./human-duration";

/**
 * Milliseconds since the epoch, or undefined for a missing/unparseable value. Fractions
 * beyond milliseconds (MicroTime) are dropped before parsing so every runtime accepts them.
 */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== "string" || v === "") return undefined;
  const ms = Date.parse(v.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? undefined : ms;
}

/** How long ago a timestamp was, as printed in AGE cells; "<unknown>" when unset. */
export function since(now: Date, v: unknown): string {
  const t = parseTime(v);
  return t === undefined ? "<unknown>" : humanDuration(now.getTime() - t);
}

/** RFC 3339 in UTC with whole seconds ("2024-05-01T10:00:00Z"); Go's zero time when unset. */
export function rfc3339(v: unknown): string {
  const t = parseTime(v);
  if (t === undefined) return "0001-01-01T00:00:00Z";
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}
