/**
 * Tolerant readers for stored objects: printers must render whatever a client managed to
 * store, so a missing or mistyped field reads as its zero value instead of throwing.
 */

export type Obj = Record<string, unknown>;

/** The value as an object, or {} when it is not one. */
export function rec(v: unknown): Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

/** The value as an array of objects (non-objects become {}), or [] when it is not an array. */
export function recs(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(rec) : [];
}

/** The value as an array, or []. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The value as a string, or "" (numbers are rendered, as a quantity may arrive as one). */
export function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  return "";
}

/** The value as an integer, or 0. */
export function int(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** Number of keys of a map-valued field (data, binaryData). */
export function size(v: unknown): number {
  return Object.keys(rec(v)).length;
}

/** "k1=v1,k2=v2" sorted by key, or "<none>": how upstream prints a plain label map. */
export function formatLabels(v: unknown): string {
  const entries = Object.entries(rec(v)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, val]) => `${k}=${str(val)}`).join(",") : "<none>";
}
