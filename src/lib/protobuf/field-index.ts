/**
 * Per-message lookups derived from the field facts, built once per message on first use:
 * fields by number, and which scalar fields keep a zero value in JSON.
 */
import { type FieldFact, message } from "../../schema/fields";
import { ZERO_WRITTEN } from "./zero-fields";

export interface MessageIndex {
  readonly byNumber: ReadonlyMap<number, FieldFact>;
  readonly zeroWritten: ReadonlySet<number>;
  /** For list-like messages (ExtraValue, Verbs): the one repeated field that is the JSON form. */
  readonly arrayField?: FieldFact;
}

const cache = new Map<string, MessageIndex>();

/**
 * A message whose Go type is a named slice (`type ExtraValue []string`): the generator
 * wraps it in a message with a single repeated `items` field and marks it nullable, but
 * its JSON form is the bare array.
 */
function arrayFieldOf(fields: readonly FieldFact[], markers: Record<string, unknown> | undefined): FieldFact | undefined {
  if (markers?.["protobuf.nullable"] !== "true" || fields.length !== 1) return undefined;
  return fields[0].label === "repeated" ? fields[0] : undefined;
}

/** The index of a full message name; throws for names the field facts do not know. */
export function indexOf(messageName: string): MessageIndex {
  let idx = cache.get(messageName);
  if (!idx) {
    const fact = message(messageName);
    idx = {
      byNumber: new Map(fact.fields.map((f) => [f.number, f])),
      zeroWritten: new Set(ZERO_WRITTEN[messageName] ?? []),
      arrayField: arrayFieldOf(fact.fields, fact.markers),
    };
    cache.set(messageName, idx);
  }
  return idx;
}
