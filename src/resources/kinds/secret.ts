/**
 * Secrets: the Opaque type default, folding `stringData` into `data` (the apiserver never
 * stores stringData), key and size rules, type-specific required keys, and immutability.
 */
import type { StatusCause } from "../../api/status";
import { immutable, invalid, keyPath, required, tooLong } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { MAX_DATA_SIZE, validateDataKeys, validateImmutableData } from "./config-map";
import { ensureObj, obj, setDefault, str, type Obj } from "./shape";

function base64OfText(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function decodedLength(b64: string): number | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  return (b64.length / 4) * 3 - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);
}

/** Fills a Secret's defaults in place. */
export function defaultSecret(s: Obj): void {
  setDefault(s, "type", "Opaque");
  const stringData = obj(s.stringData);
  if (stringData) {
    // stringData is write-only: it overrides data key by key and is then dropped.
    const data = ensureObj(s, "data");
    for (const [k, v] of Object.entries(stringData)) data[k] = base64OfText(String(v));
    delete s.stringData;
  }
}

/** Keys each built-in secret type must carry in `data`. */
const REQUIRED_KEYS: Record<string, string[]> = {
  "kubernetes.io/dockercfg": [".dockercfg"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
};

/** Validates a Secret create or update. */
export function validateSecret(s: Obj, old?: Obj): StatusCause[] {
  const data = obj(s.data) ?? {};
  const out = validateDataKeys(data, "data");
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    const n = decodedLength(String(v));
    if (n === undefined) out.push(invalid(keyPath("data", k), "<secret contents redacted>", "illegal base64 data"));
    else size += n;
  }
  if (size > MAX_DATA_SIZE) out.push(tooLong("data", MAX_DATA_SIZE));
  const type = str(s.type);
  for (const key of REQUIRED_KEYS[type] ?? []) if (!(key in data)) out.push(required(keyPath("data", key)));
  if (type === "kubernetes.io/service-account-token") {
    const ann = obj(obj(s.metadata)?.annotations) ?? {};
    if (!str(ann["kubernetes.io/service-account.name"])) out.push(required("metadata.annotations[kubernetes.io/service-account.name]"));
  }
  if (old) {
    if (str(old.type) && type !== str(old.type)) out.push(immutable("type", type));
    out.push(...validateImmutableData(s, old, ["data"]));
  }
  return out;
}

/** Secret behaviour. */
export const secret: KindBehaviour = { defaults: defaultSecret, validate: validateSecret };
