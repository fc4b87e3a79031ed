/**
 * apimachinery messages whose JSON form is not an object: timestamps, quantities,
 * int-or-string, durations and embedded raw JSON. Each converter takes the message's
 * bytes and returns its JSON value, or undefined where Go would write `null` (a zero
 * Time, an empty RawExtension), so the caller can leave the key out.
 */
import { SPECIAL_MESSAGES } from "../../schema/fields";
import { formatGoDuration } from "./go-duration";
import { WireError, readFieldValues } from "./wire";

type Converter = (bytes: Uint8Array) => unknown;

const utf8 = new TextDecoder();

function int(v: bigint | Uint8Array | undefined): bigint {
  return typeof v === "bigint" ? v : 0n;
}

function text(v: bigint | Uint8Array | undefined): string {
  return v instanceof Uint8Array ? utf8.decode(v) : "";
}

/**
 * RFC 3339 in UTC with `fractionDigits` of sub-second precision (0 for meta.v1.Time,
 * 6 for MicroTime), as Go's JSON marshalers write them.
 */
export function formatTimestamp(seconds: bigint, nanos: number, fractionDigits: 0 | 6): string {
  // Go refuses to marshal years outside 0000-9999; so do we.
  if (seconds < -62167219200n || seconds > 253402300799n) throw new WireError(`timestamp ${seconds}s is out of range`);
  if (nanos < 0 || nanos > 999_999_999) throw new WireError(`timestamp nanos ${nanos} is out of range`);
  const iso = new Date(Number(seconds) * 1000).toISOString();
  // toISOString writes years 0000-9999 as four digits, so the prefix is fixed-width.
  const base = iso.slice(0, 19);
  if (fractionDigits === 0) return `${base}Z`;
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, "0")}Z`;
}

function timestamp(fractionDigits: 0 | 6): Converter {
  return (bytes) => {
    // A zero Go time marshals to no bytes at all; an explicit epoch still carries fields.
    if (bytes.length === 0) return undefined;
    const f = readFieldValues(bytes);
    return formatTimestamp(int(f.get(1)), Number(int(f.get(2))), fractionDigits);
  };
}

function embeddedJson(bytes: Uint8Array): unknown {
  const raw = readFieldValues(bytes).get(1);
  if (!(raw instanceof Uint8Array) || raw.length === 0) return undefined;
  try {
    return JSON.parse(utf8.decode(raw));
  } catch {
    throw new WireError("embedded raw object is not valid JSON");
  }
}

const CONVERTERS: Readonly<Record<string, Converter>> = {
  [SPECIAL_MESSAGES.time]: timestamp(0),
  [SPECIAL_MESSAGES.microTime]: timestamp(6),
  // A zero Quantity prints as "0" in Go.
  [SPECIAL_MESSAGES.quantity]: (bytes) => text(readFieldValues(bytes).get(1)) || "0",
  [SPECIAL_MESSAGES.intOrString]: (bytes) => {
    const f = readFieldValues(bytes);
    return int(f.get(1)) === 1n ? text(f.get(3)) : Number(BigInt.asIntN(32, int(f.get(2))));
  },
  [SPECIAL_MESSAGES.duration]: (bytes) => formatGoDuration(int(readFieldValues(bytes).get(1))),
  [SPECIAL_MESSAGES.rawExtension]: embeddedJson,
  [SPECIAL_MESSAGES.fieldsV1]: embeddedJson,
};

/** The converter for a message with a non-object JSON form, if it is one. */
export function specialConverter(messageName: string): Converter | undefined {
  return CONVERTERS[messageName];
}
