/**
 * Reading one protobuf scalar as its JSON value: int64 and uint64 become numbers (as
 * Kubernetes JSON writes them), bytes become standard base64.
 */
import { type BinaryReader, WireType, base64Encode } from "@bufbuild/protobuf/wire";
import { checkBounds, expectWireType, readLengthDelimited } from "./wire";

export type ScalarValue = string | number | boolean;

const utf8 = new TextDecoder();

/** The wire type a scalar is written with when not packed. */
export function scalarWireType(type: string): WireType {
  switch (type) {
    case "string":
    case "bytes":
      return WireType.LengthDelimited;
    case "double":
      return WireType.Bit64;
    case "float":
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** Whether repeated values of this type may arrive packed in one length-delimited field. */
export function isPackable(type: string): boolean {
  return scalarWireType(type) !== WireType.LengthDelimited;
}

/** Reads the value itself, the tag already consumed; the wire type must match. */
export function readScalar(reader: BinaryReader, type: string, no: number, wt: WireType): ScalarValue {
  if (type === "string") return utf8.decode(readLengthDelimited(reader, no, wt));
  if (type === "bytes") return base64Encode(readLengthDelimited(reader, no, wt));
  expectWireType(no, wt, scalarWireType(type));
  const v = readNumeric(reader, type);
  checkBounds(reader);
  return v;
}

/** Reads a varint or fixed-width value without any tag or wire-type check (packed lists). */
export function readNumeric(reader: BinaryReader, type: string): number | boolean {
  switch (type) {
    case "int32":
      return reader.int32();
    case "uint32":
      return reader.uint32();
    case "int64":
      return Number(reader.int64());
    case "uint64":
      return Number(reader.uint64());
    case "bool":
      return reader.bool();
    case "double":
      return reader.double();
    case "float":
      return reader.float();
    default:
      throw new Error(`unsupported scalar type ${type}`);
  }
}

/** Go's zero value for the JSON form of a scalar (base64 of no bytes is ""). */
export function isZeroScalar(v: ScalarValue): boolean {
  return v === "" || v === 0 || v === false;
}

/** The JSON value a map entry gets when its value is missing from the wire. */
export function zeroScalar(type: string): ScalarValue {
  if (type === "string" || type === "bytes") return "";
  return type === "bool" ? false : 0;
}
