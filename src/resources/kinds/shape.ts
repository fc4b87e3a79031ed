/**
 * Loose accessors for decoded JSON objects. Validation runs after schema decoding, but a
 * field may still be absent, so every read tolerates `undefined` rather than trusting types.
 */

/** A plain JSON object. */
export type Obj = Record<string, unknown>;

/** Whether `v` is a JSON object (not an array, not null). */
export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` as an object, or undefined. */
export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

/** `v` as an array of objects (non-objects dropped would shift indices, so they become {}). */
export function objs(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : [];
}

/** `v` as an array, or empty. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** `v` as a string, or "" (the apiserver's zero value). */
export function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** `parent[key]` as an object, created when missing; for defaulting nested structs. */
export function ensureObj(parent: Obj, key: string): Obj {
  const cur = parent[key];
  if (isObj(cur)) return cur;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
}

/** Sets `parent[key]` when it is absent (undefined, null or ""), as Go defaulters do for zero values. */
export function setDefault(parent: Obj, key: string, value: unknown): void {
  const cur = parent[key];
  if (cur === undefined || cur === null || cur === "") parent[key] = value;
}

/** Structural equality for decoded JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
