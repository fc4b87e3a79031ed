/**
 * Strategic merge patch (application/strategic-merge-patch+json), the patch kubectl
 * sends for apply, set image, rollout pause/resume/restart, cordon and edit. It is a
 * JSON merge patch that knows, from the API field facts, which lists merge by key and
 * which maps are replaced, plus in-band directives:
 *
 * - `$patch: replace | delete` on an object, or inside a list as a list element;
 * - `$retainKeys: [...]` drops the object's keys not listed (retainKeys strategy);
 * - `$setElementOrder/<list>: [...]` fixes the order of a merged list;
 * - `$deleteFromPrimitiveList/<list>: [...]` removes values from a merged scalar list.
 *
 * Nulls delete keys (and vanish where there is nothing to delete); directives never
 * reach the result.
 */
import { type JsonObject, cloneJson, goJsonKind, isObject } from "./json-value";
import { directiveErrors, patchErrors } from "./patch-errors";
import { deleteFromList, mergeList } from "./smp-list";
import { normalizeOrder, partitionByPresence, checkSetElementOrder } from "./smp-order";
import { type FieldPatchMeta, type PatchSchema, lookupField, messageSchema } from "./smp-schema";

const PATCH = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ORDER = "$setElementOrder";
const DELETE_PRIMITIVE = "$deleteFromPrimitiveList";

/**
 * Applies a strategic merge patch to `original` (not mutated). `messageName` is the
 * full proto message of the object's kind; with no facts for it the patch behaves
 * like a JSON merge patch. A null patch changes nothing.
 *
 * @example
 * strategicMergePatch(deployment, { spec: { paused: null } }, "k8s.io.api.apps.v1.Deployment");
 */
export function strategicMergePatch(original: object, patch: unknown, messageName: string): JsonObject {
  if (patch === null || patch === undefined) return cloneJson(original as JsonObject);
  if (!isObject(patch)) throw patchErrors.decode(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type map[string]interface {}`);
  // Both are copied once so the merge below may reuse and mutate their parts freely.
  return mergeObject(cloneJson(original as JsonObject), cloneJson(patch), messageSchema(messageName));
}

function has(obj: JsonObject, key: string): boolean {
  return Object.hasOwn(obj, key);
}

// Plain assignment to "__proto__" would change the prototype instead of adding a key.
function set(obj: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** "<prefix>/<field>" → "<field>"; a directive key without the slash is malformed. */
function directiveTarget(key: string, prefix: string, malformed: () => Error): string {
  if (key[prefix.length] !== "/") throw malformed();
  return key.slice(prefix.length + 1);
}

/** Merges `patch` into `original` (mutated and returned; undefined starts from {}). */
function mergeObject(original: JsonObject | undefined, patch: JsonObject, schema: PatchSchema | undefined): JsonObject {
  if (has(patch, PATCH)) {
    const { [PATCH]: directive, ...rest } = patch;
    if (directive === "delete") return {};
    if (directive === "replace") return mergeObject(undefined, rest, schema);
    // Upstream rejects `$patch: merge` on a map; merging is what happens anyway, so accept it.
    if (directive !== "merge") throw patchErrors.mergeFailure(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
    patch = rest;
  }
  const result = original ?? {};
  applyRetainKeys(result, patch);
  const done = applySetElementOrder(result, patch, schema);
  const deletions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (done.has(key) || key === RETAIN_KEYS) continue;
    if (key.startsWith(DELETE_PRIMITIVE)) {
      deletions.push([directiveTarget(key, DELETE_PRIMITIVE, directiveErrors.primitiveList), value]);
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    set(result, key, mergeValue(has(result, key) ? result[key] : undefined, value, lookupField(schema, key)));
  }
  // Removals run after additions so that a value both added and removed ends up removed.
  for (const [key, values] of deletions) {
    if (!Array.isArray(values)) throw directiveErrors.primitiveList();
    const live = has(result, key) ? result[key] : undefined;
    if (Array.isArray(live)) set(result, key, deleteFromList(live, values));
  }
  return result;
}

/** The merged value of one key; `live` is undefined when the object lacks the key. */
function mergeValue(live: unknown, value: unknown, field: FieldPatchMeta): unknown {
  if (isObject(value)) return mergeObject(isObject(live) && !field.replace ? live : undefined, value, field.schema);
  if (Array.isArray(value)) {
    if (!field.merge) return value;
    return mergeList(Array.isArray(live) ? live : [], value, field, mergeObject);
  }
  return value;
}

/** Drops keys not listed in `$retainKeys`, after checking the patch itself only sets listed keys. */
function applyRetainKeys(result: JsonObject, patch: JsonObject): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const keep = patch[RETAIN_KEYS];
  if (!Array.isArray(keep)) throw directiveErrors.retainKeys();
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key === RETAIN_KEYS || key.startsWith(SET_ORDER) || key.startsWith(DELETE_PRIMITIVE)) continue;
    if (!keep.includes(key)) throw directiveErrors.retainKeys();
  }
  for (const key of Object.keys(result)) if (!keep.includes(key)) delete result[key];
}

/**
 * Merges every list that has a `$setElementOrder` directive and puts it in the given
 * order (elements the directive does not mention keep their live order, woven in).
 * Returns the patch keys it consumed.
 */
function applySetElementOrder(result: JsonObject, patch: JsonObject, schema: PatchSchema | undefined): Set<string> {
  const done = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const name = directiveTarget(key, SET_ORDER, directiveErrors.setElementOrder);
    if (!Array.isArray(order)) throw directiveErrors.setElementOrder();
    done.add(key).add(name);
    const field = lookupField(schema, name);
    const live = listOrUndefined(result, name);
    const patchList = listOrUndefined(patch, name);
    checkSetElementOrder(patchList ?? [], order, field.mergeKey);
    let merged: unknown[];
    if (patchList === undefined) {
      if (live === undefined) continue;
      merged = live;
    } else {
      merged = field.merge ? mergeList(live ?? [], patchList, field, mergeObject) : patchList;
    }
    const [mentioned, unmentioned] = partitionByPresence(merged, order, field.mergeKey);
    set(result, name, normalizeOrder(mentioned, unmentioned, order, live ?? [], field.mergeKey));
  }
  return done;
}

function listOrUndefined(obj: JsonObject, key: string): unknown[] | undefined {
  if (!has(obj, key)) return undefined;
  const v = obj[key];
  if (!Array.isArray(v)) throw patchErrors.mergeFailure(`expected a []interface {}, but received a ${goJsonKind(v)} for ${key}`);
  return v;
}
