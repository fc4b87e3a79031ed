/**
 * The JSON shape of every API message, derived from the field facts: which JSON keys an
 * object has (inline members flattened in), and what kind of value sits under each key.
 * The zod schemas, the strict decoder and the OpenAPI documents are all built from this.
 */
import { SPECIAL_MESSAGES, isScalar, jsonName, message, messages, packageOf, resolveType, type FieldFact } from "./fields";

/** A JSON value form that is not an object with known keys. */
export type ScalarKind =
  | "string"
  | "int32"
  | "int64"
  | "uint32"
  | "uint64"
  | "bool"
  | "bytes"
  | "double"
  | "float"
  | "time"
  | "microTime"
  | "quantity"
  | "intOrString"
  | "duration"
  | "any";

/** The JSON form of one value. */
export type JsonForm =
  | { readonly kind: "scalar"; readonly scalar: ScalarKind; readonly message?: string }
  | { readonly kind: "message"; readonly message: string }
  | { readonly kind: "array"; readonly item: JsonForm; readonly wrapper?: string }
  | { readonly kind: "map"; readonly value: JsonForm };

/** One JSON key of a message's object form. */
export interface JsonField {
  readonly key: string;
  readonly form: JsonForm;
  /** The field fact, absent for the synthetic `apiVersion` / `kind` of a top-level kind. */
  readonly fact?: FieldFact;
  /** The message whose struct the key belongs to after inlining (the outer one). */
  readonly owner: string;
}

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
const SPECIAL_FORMS: Readonly<Record<string, ScalarKind>> = {
  [SPECIAL_MESSAGES.time]: "time",
  [SPECIAL_MESSAGES.microTime]: "microTime",
  [SPECIAL_MESSAGES.quantity]: "quantity",
  ["k8s.io.apimachinery.pkg.api.resource.QuantityValue"]: "quantity",
  [SPECIAL_MESSAGES.intOrString]: "intOrString",
  [SPECIAL_MESSAGES.duration]: "duration",
  [SPECIAL_MESSAGES.rawExtension]: "any",
  [SPECIAL_MESSAGES.fieldsV1]: "any",
};

// Meta types that carry TypeMeta although they have no ObjectMeta/ListMeta.
const META_KINDS = new Set(
  ["DeleteOptions", "CreateOptions", "UpdateOptions", "PatchOptions", "GetOptions", "ListOptions", "APIVersions", "APIGroup", "APIGroupList", "APIResourceList"].map(
    (k) => `${META}.${k}`,
  ),
);

/** The special scalar form of a message whose JSON form is not an object, if it has one. */
export function specialForm(messageName: string): ScalarKind | undefined {
  return SPECIAL_FORMS[messageName];
}

/**
 * The element message of a protobuf wrapper whose JSON form is a bare list
 * (for example authentication.v1.ExtraValue, which is `[]string` in JSON).
 */
function listWrapperItem(messageName: string): FieldFact | undefined {
  const m = messages[messageName];
  if (!m || m.markers?.["protobuf.nullable"] !== "true") return undefined;
  const only = m.fields.length === 1 ? m.fields[0] : undefined;
  return only && only.label === "repeated" && only.name === "items" ? only : undefined;
}

const formCache = new Map<string, JsonForm>();

/** The JSON form of a value of the given resolved type (a scalar name or a full message name). */
export function valueForm(type: string): JsonForm {
  const hit = formCache.get(type);
  if (hit) return hit;
  let form: JsonForm;
  if (isScalar(type)) form = { kind: "scalar", scalar: type as ScalarKind };
  else if (SPECIAL_FORMS[type]) form = { kind: "scalar", scalar: SPECIAL_FORMS[type], message: type };
  else {
    const items = listWrapperItem(type);
    form = items ? { kind: "array", item: valueForm(resolveType(type, items.type)), wrapper: type } : { kind: "message", message: type };
  }
  formCache.set(type, form);
  return form;
}

/** The JSON form of a field declared on `declaring`. */
export function fieldForm(declaring: string, f: FieldFact): JsonForm {
  const base = valueForm(resolveType(declaring, f.type));
  if (f.label === "repeated") return { kind: "array", item: base };
  if (f.label === "map") return { kind: "map", value: base };
  return base;
}

/** Whether a message is a top-level kind, whose JSON form also carries `apiVersion` and `kind`. */
export function isKind(messageName: string): boolean {
  if (META_KINDS.has(messageName)) return true;
  const meta = messages[messageName]?.fields.find((f) => f.name === "metadata");
  if (!meta || meta.label !== "optional") return false;
  const t = resolveType(messageName, meta.type);
  return t === `${META}.ObjectMeta` || t === `${META}.ListMeta`;
}

const STRING: JsonForm = { kind: "scalar", scalar: "string" };
const fieldsCache = new Map<string, readonly JsonField[]>();

/** The JSON keys of a message's object form, in declaration order, with inline members flattened in. */
export function jsonFields(messageName: string): readonly JsonField[] {
  const hit = fieldsCache.get(messageName);
  if (hit) return hit;
  const out: JsonField[] = [];
  if (isKind(messageName)) {
    out.push({ key: "apiVersion", form: STRING, owner: messageName }, { key: "kind", form: STRING, owner: messageName });
  }
  collect(messageName, messageName, out);
  fieldsCache.set(messageName, out);
  return out;
}

function collect(declaring: string, owner: string, out: JsonField[]): void {
  for (const f of message(declaring).fields) {
    if (f.inline) {
      collect(resolveType(declaring, f.type), owner, out);
      continue;
    }
    const key = jsonName(f);
    if (!key) continue;
    out.push({ key, form: fieldForm(declaring, f), fact: f, owner });
  }
}

/** The short Go type name used in decoding errors: "v1.DeploymentSpec", "[]v1.Container", "int32". */
export function goTypeName(form: JsonForm): string {
  switch (form.kind) {
    case "array":
      return form.wrapper ? goMessageName(form.wrapper) : `[]${goTypeName(form.item)}`;
    case "map":
      return `map[string]${goTypeName(form.value)}`;
    case "message":
      return goMessageName(form.message);
    case "scalar":
      return GO_SCALARS[form.scalar];
  }
}

/** "k8s.io.api.apps.v1.DeploymentSpec" → "v1.DeploymentSpec" (package name, dot, type name). */
export function goMessageName(fullName: string): string {
  const pkg = packageOf(fullName);
  return `${pkg.slice(pkg.lastIndexOf(".") + 1)}.${shortName(fullName)}`;
}

/** "k8s.io.api.apps.v1.DeploymentSpec" → "DeploymentSpec". */
export function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf(".") + 1);
}

// The special forms name the Go type their custom unmarshaler decodes into.
const GO_SCALARS: Readonly<Record<ScalarKind, string>> = {
  string: "string",
  int32: "int32",
  int64: "int64",
  uint32: "uint32",
  uint64: "uint64",
  bool: "bool",
  bytes: "[]uint8",
  double: "float64",
  float: "float32",
  time: "string",
  microTime: "string",
  quantity: "resource.Quantity",
  intOrString: "int32",
  duration: "string",
  any: "interface {}",
};
