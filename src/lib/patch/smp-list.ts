/**
 * List merging for fields whose patch strategy is "merge": lists of objects merge
 * element-wise by the field's merge key, lists of scalars merge as sets.
 */
import { type JsonObject, isObject } from "./json-value";
import { patchErrors } from "./patch-errors";
import type { FieldPatchMeta, PatchSchema } from "./smp-schema";
import { normalizeOrder, partitionByPresence, requireMergeKey } from "./smp-order";

/** Merges one patch object into one live object (or into nothing, which cleans the patch). */
export type MergeObjectFn = (original: JsonObject | undefined, patch: JsonObject, schema: PatchSchema | undefined) => JsonObject;

type ElementKind = "object" | "string" | "number" | "boolean" | "null" | "none";

function kindOf(v: unknown): ElementKind | "array" {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : (typeof v as ElementKind);
}

/** The one kind shared by all elements of both lists. */
function elementKind(...lists: readonly unknown[][]): ElementKind {
  let kind: ElementKind = "none";
  for (const list of lists) {
    for (const item of list) {
      const k = kindOf(item);
      // Upstream answers 422 for nested lists, unlike the other merge failures.
      if (k === "array") throw patchErrors.unprocessable();
      if (kind !== "none" && k !== kind) throw patchErrors.mergeFailure(`list element types are not identical: ${JSON.stringify(lists)}`);
      kind = k;
    }
  }
  return kind;
}

function dedupe(items: readonly unknown[]): unknown[] {
  return items.filter((v, i) => items.indexOf(v) === i);
}

/** Removes from a scalar list every value listed in a `$deleteFromPrimitiveList` directive. */
export function deleteFromList(original: readonly unknown[], toDelete: readonly unknown[]): unknown[] {
  return original.filter((v) => !toDelete.includes(v));
}

interface SplitPatch {
  /** The live list after `$patch: delete` elements removed their matches. */
  readonly live: readonly unknown[];
  /** Patch elements without directives. */
  readonly plain: readonly JsonObject[];
  /** A `$patch: replace` element asked for the plain elements to become the whole list. */
  readonly replace: boolean;
}

function splitDirectives(original: readonly unknown[], patch: readonly unknown[], mergeKey: string): SplitPatch {
  let live = original;
  const plain: JsonObject[] = [];
  let replace = false;
  for (const item of patch as JsonObject[]) {
    if (!("$patch" in item)) {
      plain.push(item);
      continue;
    }
    const { $patch: directive, ...rest } = item;
    switch (directive) {
      case "delete":
        if (!(mergeKey in item)) throw patchErrors.mergeFailure(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
        live = live.filter((v) => !(isObject(v) && v[mergeKey] === item[mergeKey]));
        break;
      case "replace":
        replace = true;
        break;
      case "merge":
        // Upstream refuses this; an explicit merge is what happens anyway, so accept it.
        plain.push(rest);
        break;
      default:
        throw patchErrors.mergeFailure(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(item)}`);
    }
  }
  return { live, plain, replace };
}

/** Merges `patch` into `original` for a list field with the merge strategy. */
export function mergeList(original: readonly unknown[], patch: readonly unknown[], field: FieldPatchMeta, mergeObject: MergeObjectFn): unknown[] {
  if (original.length === 0 && patch.length === 0) return [];
  if (elementKind([...original], [...patch]) !== "object") {
    const merged = dedupe([...original, ...patch]);
    const [patchItems, serverOnly] = partitionByPresence(merged, patch, undefined);
    return normalizeOrder(patchItems, serverOnly, patch, original, undefined);
  }
  const mergeKey = field.mergeKey;
  if (!mergeKey) throw patchErrors.mergeFailure("cannot merge lists without merge key for type struct");
  const { live, plain, replace } = splitDirectives(original, patch, mergeKey);
  if (replace) return plain.map((item) => mergeObject(undefined, item, field.schema));
  requireMergeKey(plain, mergeKey);
  const merged = [...live];
  for (const item of plain) {
    const at = merged.findIndex((v) => isObject(v) && v[mergeKey] === item[mergeKey]);
    if (at >= 0) merged[at] = mergeObject(merged[at] as JsonObject, item, field.schema);
    else merged.push(mergeObject(undefined, item, field.schema));
  }
  const [patchItems, serverOnly] = partitionByPresence(merged, plain, mergeKey);
  return normalizeOrder(patchItems, serverOnly, plain, live, mergeKey);
}
