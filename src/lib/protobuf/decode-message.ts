/**
 * The generic decoder: protobuf bytes of any API message → the JSON form of the object,
 * driven only by the field facts. The output follows what Go's JSON encoder writes for the
 * decoded struct: fields absent from the wire are left out, zero scalars are kept only
 * where Go would write them (pointers, no omitempty), message fields present on the wire
 * are kept even when empty (`strategy: {}`), and special apimachinery types take their
 * scalar JSON forms.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { type FieldFact, isScalar, jsonName, resolveType } from "../../schema/fields";
import { errors, StatusError } from "../../api/status";
import { indexOf } from "./field-index";
import { isPackable, isZeroScalar, readNumeric, readScalar, zeroScalar } from "./scalars";
import { specialConverter } from "./special-types";
import { checkBounds, readLengthDelimited, readTag, skipField } from "./wire";

type Json = Record<string, unknown>;

/**
 * The JSON value of one message of any shape: an object for most, a string, number or
 * array for the special ones, undefined where Go would write null.
 */
export function decodeValue(bytes: Uint8Array, messageName: string): unknown {
  const special = specialConverter(messageName);
  if (special) return special(bytes);
  const idx = indexOf(messageName);
  if (idx.arrayField) return decodeObject(bytes, messageName)[jsonName(idx.arrayField)] ?? [];
  return decodeObject(bytes, messageName);
}

/**
 * Decodes a message with an object JSON form; throws plain Errors for malformed bytes
 * (callers turn them into 400s). No API message contains itself, even indirectly, so the
 * nesting depth is bounded by the schema and needs no limit here.
 */
export function decodeObject(bytes: Uint8Array, messageName: string): Json {
  const { byNumber, zeroWritten } = indexOf(messageName);
  const out: Json = {};
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wt] = readTag(reader);
    const field = byNumber.get(no);
    const key = field ? jsonName(field) : "";
    // Unknown numbers and fields with no JSON form (json "-") are read past and dropped.
    if (!field || (!key && !field.inline)) {
      skipField(reader, no, wt);
      continue;
    }
    const type = resolveType(messageName, field.type);
    if (field.label === "map") {
      const map = (out[key] ??= {}) as Json;
      const [k, v] = readMapEntry(readLengthDelimited(reader, no, wt), field, type);
      map[k] = v;
    } else if (field.label === "repeated") {
      const list = (out[key] ??= []) as unknown[];
      readRepeated(reader, no, wt, type, list);
    } else if (isScalar(type)) {
      const v = readScalar(reader, type, no, wt);
      if (isZeroScalar(v) && !zeroWritten.has(no)) delete out[key];
      else out[key] = v;
    } else {
      const v = decodeValue(readLengthDelimited(reader, no, wt), type);
      if (field.inline) Object.assign(out, v);
      else setMessageField(out, key, v);
    }
  }
  return out;
}

/** A repeated occurrence of a singular message field merges into the earlier one, as protobuf does. */
function setMessageField(out: Json, key: string, v: unknown): void {
  const prev = out[key];
  if (v === undefined) delete out[key];
  else if (isPlainObject(prev) && isPlainObject(v)) Object.assign(prev, v);
  else out[key] = v;
}

function isPlainObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function readRepeated(reader: BinaryReader, no: number, wt: WireType, type: string, list: unknown[]): void {
  if (!isScalar(type)) {
    // A list element Go would write as null (a zero Time) stays in place as null.
    list.push(decodeValue(readLengthDelimited(reader, no, wt), type) ?? null);
    return;
  }
  if (wt === WireType.LengthDelimited && isPackable(type)) {
    const packed = new BinaryReader(readLengthDelimited(reader, no, wt));
    while (packed.pos < packed.len) {
      list.push(readNumeric(packed, type));
      checkBounds(packed);
    }
    return;
  }
  list.push(readScalar(reader, type, no, wt));
}

/** A map entry is a message with the key as field 1 and the value as field 2. */
function readMapEntry(bytes: Uint8Array, field: FieldFact, valueType: string): [string, unknown] {
  const reader = new BinaryReader(bytes);
  let key = "";
  let value: unknown;
  while (reader.pos < reader.len) {
    const [no, wt] = readTag(reader);
    if (no === 1) key = String(readScalar(reader, field.keyType ?? "string", no, wt));
    else if (no === 2 && isScalar(valueType)) value = readScalar(reader, valueType, no, wt);
    else if (no === 2) value = decodeValue(readLengthDelimited(reader, no, wt), valueType) ?? null;
    else skipField(reader, no, wt);
  }
  if (value === undefined) value = isScalar(valueType) ? zeroScalar(valueType) : (decodeValue(new Uint8Array(), valueType) ?? null);
  return [key, value];
}

/**
 * Decodes one message's bytes into its JSON object form given its full message name
 * ("k8s.io.api.core.v1.Pod"). Malformed bytes raise a 400 StatusError.
 * @example decodeMessage(bytes, "k8s.io.api.core.v1.Namespace") // { metadata: { name: "foo" }, spec: {}, status: {} }
 */
export function decodeMessage(bytes: Uint8Array, messageName: string): Json {
  if (specialConverter(messageName) || indexOf(messageName).arrayField) {
    throw new TypeError(`${messageName} has no object JSON form`);
  }
  try {
    return decodeObject(bytes, messageName);
  } catch (e) {
    throw asBadRequest(e, `unable to decode ${messageName}`);
  }
}

/** Maps a wire-level failure to 400 BadRequest; StatusErrors pass through unchanged. */
export function asBadRequest(e: unknown, context: string): StatusError {
  if (e instanceof StatusError) return e;
  const why = e instanceof Error ? e.message : String(e);
  return errors.badRequest(`${context}: ${why}`);
}
