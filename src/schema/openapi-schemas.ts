/**
 * OpenAPI v3 `components.schemas` built from the field facts, named and shaped as
 * kube-apiserver publishes them: "io.k8s.api.apps.v1.Deployment", list and patch markers as
 * `x-kubernetes-*` extensions, and the special JSON forms (date-time, int-or-string, quantity).
 * The field facts carry no descriptions, so none are published.
 */
import { SPECIAL_MESSAGES, messages } from "./fields";
import { isKind, jsonFields, type JsonForm } from "./json-forms";

/** A JSON schema object, as published. */
export type OpenApiSchema = Record<string, unknown>;

/** A group/version/kind, as in `x-kubernetes-group-version-kind`. */
export interface Gvk {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** "k8s.io.api.apps.v1.Deployment" → "io.k8s.api.apps.v1.Deployment". */
export function openapiName(messageName: string): string {
  return messageName.startsWith("k8s.io.") ? `io.k8s.${messageName.slice("k8s.io.".length)}` : messageName;
}

/** A `$ref` to a message's component schema. */
export function refTo(messageName: string): OpenApiSchema {
  return { $ref: `#/components/schemas/${openapiName(messageName)}` };
}

// Messages whose JSON form is not an object: their components are fixed schemas.
const SPECIAL_COMPONENTS: Readonly<Record<string, OpenApiSchema>> = {
  [SPECIAL_MESSAGES.time]: { type: "string", format: "date-time" },
  [SPECIAL_MESSAGES.microTime]: { type: "string", format: "date-time" },
  [SPECIAL_MESSAGES.quantity]: { oneOf: [{ type: "string" }, { type: "number" }] },
  [SPECIAL_MESSAGES.intOrString]: { format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] },
  [SPECIAL_MESSAGES.duration]: { type: "string" },
  [SPECIAL_MESSAGES.rawExtension]: { type: "object" },
  [SPECIAL_MESSAGES.fieldsV1]: { type: "object" },
  ["k8s.io.apimachinery.pkg.api.resource.QuantityValue"]: { oneOf: [{ type: "string" }, { type: "number" }] },
};

const SCALAR_SCHEMAS: Readonly<Record<string, OpenApiSchema>> = {
  string: { type: "string" },
  int32: { type: "integer", format: "int32" },
  uint32: { type: "integer", format: "int32" },
  int64: { type: "integer", format: "int64" },
  uint64: { type: "integer", format: "int64" },
  bool: { type: "boolean" },
  bytes: { type: "string", format: "byte" },
  double: { type: "number", format: "double" },
  float: { type: "number", format: "float" },
};

function formSchema(form: JsonForm): OpenApiSchema {
  switch (form.kind) {
    case "scalar":
      return form.message ? refTo(form.message) : { ...SCALAR_SCHEMAS[form.scalar] };
    case "message":
      return refTo(form.message);
    case "array":
      return { type: "array", items: formSchema(form.item) };
    case "map":
      return { type: "object", additionalProperties: formSchema(form.value) };
  }
}

/** A `default` marker's value as JSON, or undefined for forms we cannot evaluate (`ref(...)`). */
function parseDefault(raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function fieldExtensions(markers: Readonly<Record<string, unknown>> | undefined): OpenApiSchema {
  const ext: OpenApiSchema = {};
  if (!markers) return ext;
  const def = markers.default === undefined ? undefined : parseDefault(markers.default);
  if (def !== undefined) ext.default = def;
  if (markers.listMapKey !== undefined) ext["x-kubernetes-list-map-keys"] = ([] as unknown[]).concat(markers.listMapKey);
  if (markers.listType !== undefined) ext["x-kubernetes-list-type"] = markers.listType;
  if (markers.mapType !== undefined) ext["x-kubernetes-map-type"] = markers.mapType;
  if (markers.patchMergeKey !== undefined) ext["x-kubernetes-patch-merge-key"] = markers.patchMergeKey;
  if (markers.patchStrategy !== undefined) ext["x-kubernetes-patch-strategy"] = markers.patchStrategy;
  return ext;
}

function propertySchema(form: JsonForm, markers: Readonly<Record<string, unknown>> | undefined): OpenApiSchema {
  const base = formSchema(form);
  const ext = fieldExtensions(markers);
  if (Object.keys(ext).length === 0) return base;
  // Siblings of a bare $ref are ignored by OpenAPI 3.0 readers, so upstream wraps it in allOf.
  return base.$ref ? { allOf: [base], ...ext } : { ...base, ...ext };
}

/** The component schema of one message. `gvks` tags top-level kinds. */
export function componentSchema(messageName: string, gvks: readonly Gvk[] = []): OpenApiSchema {
  const special = SPECIAL_COMPONENTS[messageName];
  if (special) return structuredClone(special);
  const properties: Record<string, OpenApiSchema> = {};
  const required: string[] = [];
  for (const f of jsonFields(messageName)) {
    properties[f.key] = propertySchema(f.form, f.fact?.markers);
    const m = f.fact?.markers;
    // Upstream marks a field required unless it is tagged optional.
    if (f.fact && (m?.required === true || !m?.optional)) required.push(f.key);
  }
  const schema: OpenApiSchema = { type: "object" };
  if (Object.keys(properties).length) schema.properties = properties;
  if (required.length) schema.required = required;
  if (messages[messageName]?.markers?.structType === "atomic") schema["x-kubernetes-map-type"] = "atomic";
  if (gvks.length) schema["x-kubernetes-group-version-kind"] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
  return schema;
}

/** Every message reachable from `roots` through field types, roots included, sorted by name. */
export function reachableMessages(roots: Iterable<string>): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  const visit = (form: JsonForm): void => {
    if (form.kind === "array") visit(form.item);
    else if (form.kind === "map") visit(form.value);
    else if (form.message) queue.push(form.message);
  };
  while (queue.length) {
    const name = queue.pop() as string;
    if (seen.has(name) || !messages[name]) continue;
    seen.add(name);
    if (SPECIAL_COMPONENTS[name]) continue;
    for (const f of jsonFields(name)) visit(f.form);
  }
  // A plain code-unit order keeps the documents (and so their hashes) locale-independent.
  const key = (n: string) => openapiName(n);
  return [...seen].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `components.schemas` for the given roots, keyed by upstream's schema names. */
export function componentSchemas(roots: Iterable<string>, gvksOf: (messageName: string) => readonly Gvk[]): Record<string, OpenApiSchema> {
  const out: Record<string, OpenApiSchema> = {};
  for (const name of reachableMessages(roots)) out[openapiName(name)] = componentSchema(name, isKind(name) ? gvksOf(name) : []);
  return out;
}
