/**
 * Plain-JSON helpers shared by the patch implementations. Patches operate on
 * JSON-parsed values only, so these never have to handle Dates, Maps or cycles.
 */

/** A JSON object as produced by `JSON.parse`. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A deep copy of a JSON value, so results never alias the caller's input. */
export function cloneJson<T>(v: T): T {
  return structuredClone(v);
}

/**
 * The name Go's JSON decoder uses for a value's kind in
 * "json: cannot unmarshal <kind> into Go value of type ..." messages.
 */
export function goJsonKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}
