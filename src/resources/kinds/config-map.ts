/**
 * ConfigMaps: data keys that can be file names, no key in both data and binaryData, a 1 MiB
 * cap, and frozen contents once `immutable` is set.
 */
import type { StatusCause } from "../../api/status";
import { isConfigMapKey } from "../../lib/names";
import { forbidden, invalid, keyPath, tooLong } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { jsonEqual, obj, type Obj } from "./shape";

/** The largest total payload a ConfigMap or Secret may carry. */
export const MAX_DATA_SIZE = 1024 * 1024;

/** Validates the keys of a data map; returns the errors. */
export function validateDataKeys(data: Record<string, unknown> | undefined, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const key of Object.keys(data ?? {})) out.push(...isConfigMapKey(key).map((m) => invalid(keyPath(field, key), key, m)));
  return out;
}

/** Rules shared with Secrets for updates of an object marked immutable. */
export function validateImmutableData(o: Obj, old: Obj, fields: readonly string[]): StatusCause[] {
  if (old.immutable !== true) return [];
  const out: StatusCause[] = [];
  for (const f of fields) if (!jsonEqual(o[f] ?? {}, old[f] ?? {})) out.push(forbidden(f, "field is immutable when `immutable` is set"));
  if (o.immutable !== true) out.push(forbidden("immutable", "field is immutable when `immutable` is set"));
  return out;
}

/** Validates a ConfigMap create or update. */
export function validateConfigMap(cm: Obj, old?: Obj): StatusCause[] {
  const data = obj(cm.data);
  const binary = obj(cm.binaryData);
  const out = [...validateDataKeys(data, "data"), ...validateDataKeys(binary, "binaryData")];
  let size = 0;
  for (const v of Object.values(data ?? {})) size += new TextEncoder().encode(String(v)).length;
  for (const [k, v] of Object.entries(binary ?? {})) {
    if (data && k in data) out.push(invalid(keyPath("binaryData", k), k, "duplicate of key present in data"));
    // binaryData travels base64-encoded; the cap applies to the decoded bytes.
    size += Math.floor((String(v).replace(/=+$/, "").length * 3) / 4);
  }
  if (size > MAX_DATA_SIZE) out.push(tooLong("", MAX_DATA_SIZE));
  if (old) out.push(...validateImmutableData(cm, old, ["data", "binaryData"]));
  return out;
}

/** ConfigMap behaviour. */
export const configMap: KindBehaviour = { validate: validateConfigMap };
