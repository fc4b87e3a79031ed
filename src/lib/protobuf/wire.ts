/**
 * Bounds-checked reads on top of @bufbuild/protobuf's BinaryReader. The reader checks
 * length-delimited reads itself, but a varint cut short at the end of the buffer reads as
 * if it ended there, so every read here re-checks the position.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** A decoding failure caused by the bytes, not by the caller; callers map it to 400. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/** Throws a WireError if the last read ran past the end of the buffer. */
export function checkBounds(reader: BinaryReader): void {
  if (reader.pos > reader.len) throw new WireError("unexpected end of data");
}

/** Reads the next tag, rejecting field number 0 and the deprecated group wire types. */
export function readTag(reader: BinaryReader): [number, WireType] {
  const [no, wt] = reader.tag();
  checkBounds(reader);
  if (wt === WireType.StartGroup || wt === WireType.EndGroup) throw new WireError(`unsupported group wire type in field ${no}`);
  return [no, wt];
}

/** Skips a field this decoder has no facts for, as protobuf readers must. */
export function skipField(reader: BinaryReader, no: number, wt: WireType): void {
  reader.skip(wt, no);
  checkBounds(reader);
}

/** Asserts the wire type a field's declared type needs. */
export function expectWireType(no: number, actual: WireType, wanted: WireType): void {
  if (actual !== wanted) throw new WireError(`wrong wire type ${actual} for field ${no} (want ${wanted})`);
}

/** Reads a length-delimited payload (a sub-message, string bytes, or packed values). */
export function readLengthDelimited(reader: BinaryReader, no: number, wt: WireType): Uint8Array {
  expectWireType(no, wt, WireType.LengthDelimited);
  const bytes = reader.bytes();
  checkBounds(reader);
  return bytes;
}

/**
 * The last value of each field in a small message, as bigint (varints) or bytes (length-
 * delimited). Enough for the few fixed-shape messages with a scalar JSON form.
 */
export function readFieldValues(bytes: Uint8Array): Map<number, bigint | Uint8Array> {
  const reader = new BinaryReader(bytes);
  const out = new Map<number, bigint | Uint8Array>();
  while (reader.pos < reader.len) {
    const [no, wt] = readTag(reader);
    if (wt === WireType.Varint) {
      out.set(no, BigInt(reader.int64()));
      checkBounds(reader);
    } else if (wt === WireType.LengthDelimited) {
      out.set(no, readLengthDelimited(reader, no, wt));
    } else {
      skipField(reader, no, wt);
    }
  }
  return out;
}
