/**
 * Field-level validation errors shaped like the apiserver's: each becomes one
 * `details.causes[]` entry whose message is the error body ("Invalid value: 3: must be ...")
 * and whose field is the JSON path ("spec.containers[0].name").
 */
import type { StatusCause } from "../../api/status";

/**
 * A bad value already rendered the way Go's `%#v` prints it (structs, maps, slices). Plain
 * strings, numbers and booleans are rendered by the error helpers themselves.
 */
export class GoValue {
  constructor(readonly text: string) {}
}

/** What a field error can carry as its offending value. */
export type BadValue = string | number | boolean | null | undefined | GoValue;

/** Go's `%q`: a double-quoted string with Go escapes for control characters. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, "\\x$1");
}

/** `map[string]string{"a":"b", "c":"d"}` with sorted keys; nil maps print as `(nil)`. */
export function goStringMap(m: Record<string, unknown> | undefined): string {
  if (m === undefined || m === null) return "map[string]string(nil)";
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`).join(", ")}}`;
}

/** `[]string{"a", "b"}`; nil slices print as `(nil)`. */
export function goStringSlice(a: readonly unknown[] | undefined): string {
  if (!a) return "[]string(nil)";
  return `[]string{${a.map((x) => goQuote(String(x))).join(", ")}}`;
}

/** An int-or-string field the way the internal API type prints (`intstr.IntOrString{...}`). */
export function goIntOrString(v: unknown): GoValue {
  if (typeof v === "string") return new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`);
  const n = typeof v === "number" ? v : 0;
  return new GoValue(`intstr.IntOrString{Type:0, IntVal:${n}, StrVal:""}`);
}

function render(v: BadValue): string {
  if (v instanceof GoValue) return v.text;
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return goQuote(v);
  return String(v);
}

function cause(reason: string, field: string, body: string, detail?: string): StatusCause {
  return { reason, message: detail ? `${body}: ${detail}` : body, field };
}

/** A malformed value (failed regex, out of range). */
export function invalid(field: string, value: BadValue, detail: string): StatusCause {
  return cause("FieldValueInvalid", field, `Invalid value: ${render(value)}`, detail);
}

/** A missing value. */
export function required(field: string, detail = ""): StatusCause {
  return cause("FieldValueRequired", field, "Required value", detail);
}

/** A value outside an enumeration; lists the supported values quoted, in the given order. */
export function notSupported(field: string, value: BadValue, valid: readonly string[]): StatusCause {
  const detail = valid.length ? `supported values: ${valid.map((v) => goQuote(v)).join(", ")}` : "";
  return cause("FieldValueNotSupported", field, `Unsupported value: ${render(value)}`, detail);
}

/** A value that must be unique but is not. */
export function duplicate(field: string, value: BadValue): StatusCause {
  return cause("FieldValueDuplicate", field, `Duplicate value: ${render(value)}`);
}

/** A well-formed value that is not allowed here. */
export function forbidden(field: string, detail: string): StatusCause {
  return cause("FieldValueForbidden", field, "Forbidden", detail);
}

/** A value longer than `max` bytes (the value itself is never echoed). */
export function tooLong(field: string, max: number): StatusCause {
  return cause("FieldValueTooLong", field, "Too long", `must have at most ${max} bytes`);
}

/** A list with more than `max` items. */
export function tooMany(field: string, actual: number, max: number): StatusCause {
  return cause("FieldValueTooMany", field, `Too many: ${actual}`, `must have at most ${max} ${max === 1 ? "item" : "items"}`);
}

/** The immutable-field error every kind uses on update. */
export function immutable(field: string, value: BadValue): StatusCause {
  return invalid(field, value, "field is immutable");
}

/** `must be greater than or equal to 0` for optional integer fields. */
export function nonNegative(field: string, value: unknown): StatusCause[] {
  return typeof value === "number" && value < 0 ? [invalid(field, value, "must be greater than or equal to 0")] : [];
}

/** Path helper for map keys: `data[my.key]`. */
export function keyPath(base: string, key: string): string {
  return `${base}[${key}]`;
}
