/**
 * Strict decoding of JSON request bodies against the field facts, as kube-apiserver's JSON
 * serializer does it: wrong value types fail the request, unknown fields are dropped and,
 * depending on `fieldValidation`, reported as an error or as warnings.
 *
 * The walk is hand-written over the compiled field facts rather than run through zod: it has
 * to prune, collect unknown-field paths and name the Go struct and type in error texts, and a
 * single pass doing all three keeps a Deployment well under a millisecond.
 *
 * Not detected: duplicate keys (JSON.parse keeps the last one before we see the body) and
 * float literals that are whole numbers ("replicas: 3.0" parses as 3 and is accepted).
 */
import { errors, type StatusError } from "../api/status";
import { goMessageName, goTypeName, jsonFields, shortName, type JsonForm } from "./json-forms";
import { base64Error, durationError, normalizeTime, quantityError, QUANTITY_TYPE_ERROR } from "./special-values";

export type FieldValidation = "Strict" | "Warn" | "Ignore";

/** The result of a successful decode. */
export interface Decoded {
  /** The body with unknown fields pruned, nulls dropped and times normalised to UTC. */
  readonly object: Record<string, unknown>;
  /** `unknown field "<path>"` texts, only in Warn mode. */
  readonly warnings: string[];
}

// Upstream stops collecting strict errors after this many.
const MAX_STRICT_ERRORS = 100;

interface Slot {
  readonly form: JsonForm;
  /** The Go struct named in type errors for this key. */
  readonly struct: string;
}

interface Walk {
  /** Unknown-field paths, or null when they are not collected (Ignore mode). */
  readonly unknown: string[] | null;
}

/** A type error inside the body; becomes the tail of the BadRequest message. */
class DecodeError extends Error {}

const plans = new Map<string, ReadonlyMap<string, Slot>>();

function planFor(messageName: string): ReadonlyMap<string, Slot> {
  let plan = plans.get(messageName);
  if (!plan) {
    const slots = new Map<string, Slot>();
    for (const f of jsonFields(messageName)) slots.set(f.key, { form: f.form, struct: shortName(f.owner) });
    plans.set(messageName, (plan = slots));
  }
  return plan;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** How Go's decoder describes the JSON value it could not store. */
function describe(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  return "number";
}

function typeError(v: unknown, goType: string, struct: string, goPath: string, numberDetail = false): never {
  const what = numberDetail && typeof v === "number" ? `number ${v}` : describe(v);
  throw new DecodeError(`json: cannot unmarshal ${what} into Go struct field ${struct}.${goPath} of type ${goType}`);
}

function setKey(out: Record<string, unknown>, k: string, v: unknown): void {
  // A JSON key "__proto__" is data, not the prototype.
  if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

function decodeMessage(messageName: string, obj: Record<string, unknown>, path: string, goPath: string, walk: Walk): Record<string, unknown> {
  const plan = planFor(messageName);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    const slot = plan.get(k);
    if (!slot) {
      if (walk.unknown && walk.unknown.length < MAX_STRICT_ERRORS) {
        const p = path ? `${path}.${k}` : k;
        if (!walk.unknown.includes(p)) walk.unknown.push(p);
      }
      continue;
    }
    const v = obj[k];
    if (v === null || v === undefined) continue;
    const decoded = decodeValue(slot.form, v, path ? `${path}.${k}` : k, goPath ? `${goPath}.${k}` : k, slot.struct, walk);
    if (decoded !== undefined) out[k] = decoded;
  }
  return out;
}

function decodeValue(form: JsonForm, v: unknown, path: string, goPath: string, struct: string, walk: Walk): unknown {
  switch (form.kind) {
    case "message":
      if (!isObject(v)) typeError(v, goTypeName(form), struct, goPath);
      return decodeMessage(form.message, v, path, goPath, walk);
    case "array": {
      if (!Array.isArray(v)) typeError(v, goTypeName(form), struct, goPath);
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        const el = v[i];
        out[i] = el === null ? zeroValue(form.item) : decodeValue(form.item, el, `${path}[${i}]`, goPath, struct, walk);
      }
      return out;
    }
    case "map": {
      if (!isObject(v)) typeError(v, goTypeName(form), struct, goPath);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const el = v[k];
        setKey(out, k, el === null ? zeroValue(form.value) : decodeValue(form.value, el, `${path}.${k}`, `${goPath}.${k}`, struct, walk));
      }
      return out;
    }
    case "scalar":
      return decodeScalar(form, v, struct, goPath);
  }
}

function decodeScalar(form: JsonForm & { kind: "scalar" }, v: unknown, struct: string, goPath: string): unknown {
  switch (form.scalar) {
    case "string":
      if (typeof v !== "string") typeError(v, "string", struct, goPath);
      return v;
    case "bool":
      if (typeof v !== "boolean") typeError(v, "bool", struct, goPath);
      return v;
    case "int32":
    case "int64":
    case "uint32":
    case "uint64":
    case "intOrString":
      if (form.scalar === "intOrString" && typeof v === "string") return v;
      if (typeof v !== "number" || !inIntRange(form.scalar, v)) typeError(v, goTypeName(form), struct, goPath, true);
      return v;
    case "double":
    case "float":
      if (typeof v !== "number") typeError(v, goTypeName(form), struct, goPath);
      return v;
    case "bytes": {
      if (typeof v !== "string") typeError(v, "[]uint8", struct, goPath);
      const err = base64Error(v);
      if (err) throw new DecodeError(err);
      return v;
    }
    case "time":
    case "microTime": {
      if (typeof v !== "string") typeError(v, "string", struct, goPath);
      const t = normalizeTime(v, form.scalar === "time" ? 0 : 6);
      if ("error" in t) throw new DecodeError(t.error);
      return t.value;
    }
    case "quantity": {
      if (typeof v === "number") return String(v);
      if (typeof v !== "string") throw new DecodeError(QUANTITY_TYPE_ERROR);
      const err = quantityError(v);
      if (err) throw new DecodeError(err);
      return v;
    }
    case "duration": {
      if (typeof v !== "string") typeError(v, "string", struct, goPath);
      const err = durationError(v);
      if (err) throw new DecodeError(err);
      return v;
    }
    case "any":
      return v;
  }
}

const INT_LIMITS = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  intOrString: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
  uint64: [0, 2 ** 64 - 1],
} as const;

function inIntRange(kind: keyof typeof INT_LIMITS, n: number): boolean {
  const [lo, hi] = INT_LIMITS[kind];
  return Number.isInteger(n) && n >= lo && n <= hi;
}

/** What a JSON null inside a list or map decodes to: the Go zero value of the element. */
function zeroValue(form: JsonForm): unknown {
  if (form.kind === "message") return {};
  if (form.kind !== "scalar") return null;
  switch (form.scalar) {
    case "string":
    case "bytes":
    case "duration":
      return "";
    case "bool":
      return false;
    case "time":
    case "microTime":
    case "any":
      return null;
    case "quantity":
      return "0";
    default:
      return 0;
  }
}

/**
 * Checks a decoded JSON body against the kind's schema. Unknown fields are always pruned from
 * the returned object (upstream's Go structs drop them); with Strict they are an error, with
 * Warn they become warnings, with Ignore they are silently dropped. Wrong types are always an
 * error. Errors are 400 BadRequest with upstream's texts.
 *
 * @example
 * decodeObject("k8s.io.api.apps.v1.Deployment", { kind: "Deployment", version: "v1" },
 *   { spec: { replicas: "3" } }, "Strict");
 * // throws: Deployment in version "v1" cannot be handled as a Deployment: json: cannot
 * //   unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32
 */
export function decodeObject(
  messageName: string,
  kindLabel: { kind: string; version: string },
  body: unknown,
  mode: FieldValidation,
): Decoded {
  const prefix = `${kindLabel.kind} in version ${JSON.stringify(kindLabel.version)} cannot be handled as a ${kindLabel.kind}: `;
  if (!isObject(body)) {
    throw errors.badRequest(`${prefix}json: cannot unmarshal ${describe(body)} into Go value of type ${goMessageName(messageName)}`);
  }
  const walk: Walk = { unknown: mode === "Ignore" ? null : [] };
  let object: Record<string, unknown>;
  try {
    object = decodeMessage(messageName, body, "", "", walk);
  } catch (e) {
    if (e instanceof DecodeError) throw errors.badRequest(prefix + e.message);
    throw e;
  }
  const unknown = (walk.unknown ?? []).map((p) => `unknown field ${JSON.stringify(p)}`);
  if (unknown.length && mode === "Strict") throw strictError(prefix, unknown);
  return { object, warnings: mode === "Warn" ? unknown : [] };
}

function strictError(prefix: string, unknown: string[]): StatusError {
  return errors.badRequest(`${prefix}strict decoding error: ${unknown.join(", ")}`);
}
