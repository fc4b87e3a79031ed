/**
 * Strategic-merge metadata read from the API field facts: as the merge descends
 * into an object it asks, per JSON key, what the value's schema is and whether a
 * list merges by key, merges as a set, or is replaced.
 */
import { type FieldFact, SPECIAL_MESSAGES, isScalar, messages, resolveType, jsonName } from "../../schema/fields";

/** What is known about a JSON object's shape: a proto message, or a map of values. */
export type PatchSchema =
  | { readonly kind: "message"; readonly name: string }
  | { readonly kind: "map"; readonly value: PatchSchema | undefined };

/** The patch behaviour of one key inside an object. */
export interface FieldPatchMeta {
  /** The schema of the value; for a list, of each element. Undefined means unknown. */
  readonly schema: PatchSchema | undefined;
  /** Lists: merge element-wise (by `mergeKey`) or, for scalars, as a set. */
  readonly merge: boolean;
  /** Objects: the patch value replaces the whole object. */
  readonly replace: boolean;
  readonly mergeKey?: string;
}

/** A field with no facts: objects merge recursively and lists are replaced, as in a JSON merge patch. */
export const UNKNOWN_FIELD: FieldPatchMeta = { schema: undefined, merge: false, replace: false };

// Messages whose JSON form is a scalar, or an object with no field facts of its own.
const OPAQUE = new Set<string>(Object.values(SPECIAL_MESSAGES));

// Go embeds these with `json:",inline"` although the facts do not flag them inline.
const EXTRA_INLINE = new Set(["k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon"]);

/** The schema of a proto message by full name, or undefined if the facts do not describe it. */
export function messageSchema(fullName: string): PatchSchema | undefined {
  if (OPAQUE.has(fullName) || !messages[fullName]) return undefined;
  return { kind: "message", name: fullName };
}

interface IndexedField {
  readonly fact: FieldFact;
  readonly declaredIn: string;
}

const fieldIndexes = new Map<string, ReadonlyMap<string, IndexedField>>();

/** JSON key → field, with the fields of inline members counted as the message's own. */
function fieldIndex(messageName: string): ReadonlyMap<string, IndexedField> {
  let index = fieldIndexes.get(messageName);
  if (!index) {
    const built = new Map<string, IndexedField>();
    collectFields(messageName, built, new Set());
    fieldIndexes.set(messageName, built);
    index = built;
  }
  return index;
}

function collectFields(messageName: string, into: Map<string, IndexedField>, seen: Set<string>): void {
  const m = messages[messageName];
  if (!m || seen.has(messageName)) return;
  seen.add(messageName);
  for (const fact of m.fields) {
    if (fact.inline || EXTRA_INLINE.has(`${messageName}.${fact.name}`)) {
      collectFields(resolveType(messageName, fact.type), into, seen);
      continue;
    }
    const key = jsonName(fact);
    // An outer field wins over an inline member's field of the same name, as in Go.
    if (key && !into.has(key)) into.set(key, { fact, declaredIn: messageName });
  }
}

function valueSchema(declaredIn: string, type: string): PatchSchema | undefined {
  return isScalar(type) ? undefined : messageSchema(resolveType(declaredIn, type));
}

/** The patch metadata of `key` inside an object of schema `parent`. */
export function lookupField(parent: PatchSchema | undefined, key: string): FieldPatchMeta {
  if (!parent) return UNKNOWN_FIELD;
  if (parent.kind === "map") return { schema: parent.value, merge: false, replace: false };
  const field = fieldIndex(parent.name).get(key);
  if (!field) return UNKNOWN_FIELD;
  const { fact, declaredIn } = field;
  const elementSchema = valueSchema(declaredIn, fact.type);
  if (fact.label === "map") return { schema: { kind: "map", value: elementSchema }, merge: false, replace: false };
  // "merge,retainKeys" names two strategies; retainKeys only matters to the client
  // that builds the patch (the server honours `$retainKeys` wherever it appears).
  const strategies = (fact.markers?.patchStrategy ?? "").split(",").map((s) => s.trim());
  const mergeKey = fact.markers?.patchMergeKey;
  return {
    schema: elementSchema,
    merge: strategies.includes("merge"),
    replace: strategies.includes("replace"),
    ...(mergeKey ? { mergeKey } : {}),
  };
}
