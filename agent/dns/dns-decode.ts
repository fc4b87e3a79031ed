/**
 * Reads DNS messages off the wire. Everything arriving on the server's sockets may be hostile,
 * so every read is bounds-checked, compression pointers may only point backwards (no loops),
 * and any inconsistency is a {@link DnsFormatError} rather than an exception of another kind.
 */
import { dataKindOf, RRType, type DnsFlags, type DnsMessage, type DnsQuestion, type DnsRecord, type RecordData } from "./dns-message";
import { labelsToName, MAX_NAME_BYTES } from "./dns-names";
import { ipv4ToText, ipv6ToText } from "./ip-text";

/** The bytes are not a well-formed DNS message. */
export class DnsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DnsFormatError";
  }
}

export const HEADER_BYTES = 12;

export interface DnsHeader {
  id: number;
  flags: DnsFlags;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

/** The fixed 12-byte header, or undefined when there are fewer bytes than that. */
export function decodeHeader(buf: Uint8Array): DnsHeader | undefined {
  if (buf.length < HEADER_BYTES) return undefined;
  const u16 = (at: number) => (buf[at] << 8) | buf[at + 1];
  const bits = u16(2);
  return {
    id: u16(0),
    flags: {
      qr: (bits & 0x8000) !== 0,
      opcode: (bits >> 11) & 0xf,
      aa: (bits & 0x0400) !== 0,
      tc: (bits & 0x0200) !== 0,
      rd: (bits & 0x0100) !== 0,
      ra: (bits & 0x0080) !== 0,
      ad: (bits & 0x0020) !== 0,
      cd: (bits & 0x0010) !== 0,
      rcode: bits & 0xf,
    },
    qdcount: u16(4),
    ancount: u16(6),
    nscount: u16(8),
    arcount: u16(10),
  };
}

/** Decodes a whole message; throws {@link DnsFormatError} when it is malformed. */
export function decodeMessage(buf: Uint8Array): DnsMessage {
  const header = decodeHeader(buf);
  if (!header) throw new DnsFormatError(`message of ${buf.length} bytes is shorter than a header`);
  const reader = new WireReader(buf, HEADER_BYTES);
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < header.qdcount; i++) questions.push({ name: reader.name(), type: reader.u16(), class: reader.u16() });
  const records = (count: number) => {
    const out: DnsRecord[] = [];
    for (let i = 0; i < count; i++) out.push(readRecord(reader));
    return out;
  };
  const answers = records(header.ancount);
  const authorities = records(header.nscount);
  const additionals = records(header.arcount);
  return { id: header.id, flags: header.flags, questions, answers, authorities, additionals };
}

function readRecord(reader: WireReader): DnsRecord {
  const name = reader.name();
  const type = reader.u16();
  const klass = reader.u16();
  const ttl = reader.u32();
  const length = reader.u16();
  const end = reader.offset + length;
  if (end > reader.buf.length) throw new DnsFormatError(`record data of ${length} bytes runs past the end of the message`);
  const data = readRecordData(reader, type, length);
  if (reader.offset !== end) throw new DnsFormatError(`record data of type ${type} does not fill its ${length} bytes`);
  return { name, type, class: klass, ttl, data };
}

function readRecordData(reader: WireReader, type: number, length: number): RecordData {
  switch (dataKindOf(type)) {
    case "address": {
      const expected = type === RRType.A ? 4 : 16;
      if (length !== expected) throw new DnsFormatError(`address record of ${length} bytes, expected ${expected}`);
      const bytes = reader.bytes(length);
      return { kind: "address", address: type === RRType.A ? ipv4ToText(bytes) : ipv6ToText(bytes) };
    }
    case "name":
      return { kind: "name", name: reader.name() };
    case "srv":
      return { kind: "srv", priority: reader.u16(), weight: reader.u16(), port: reader.u16(), target: reader.name() };
    case "mx":
      return { kind: "mx", preference: reader.u16(), exchange: reader.name() };
    case "soa":
      return {
        kind: "soa",
        mname: reader.name(),
        rname: reader.name(),
        serial: reader.u32(),
        refresh: reader.u32(),
        retry: reader.u32(),
        expire: reader.u32(),
        minimum: reader.u32(),
      };
    case "raw":
      return { kind: "raw", bytes: reader.bytes(length).slice() };
  }
}

/** A bounds-checked cursor over a message. */
class WireReader {
  constructor(
    readonly buf: Uint8Array,
    public offset: number,
  ) {}

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DnsFormatError(`message ends after ${this.buf.length} bytes, inside a field`);
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.offset] << 8) | this.buf[this.offset + 1];
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = ((this.buf[this.offset] << 24) | (this.buf[this.offset + 1] << 16) | (this.buf[this.offset + 2] << 8) | this.buf[this.offset + 3]) >>> 0;
    this.offset += 4;
    return v;
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** A possibly compressed name; the cursor ends after its first pointer or its final zero. */
  name(): string {
    const labels: Uint8Array[] = [];
    let at = this.offset;
    let resumeAt: number | undefined;
    // a pointer must go strictly backwards, so following pointers always terminates
    let lowestStart = at;
    let size = 1;
    for (;;) {
      if (at >= this.buf.length) throw new DnsFormatError("name runs past the end of the message");
      const length = this.buf[at];
      if ((length & 0xc0) === 0xc0) {
        if (at + 1 >= this.buf.length) throw new DnsFormatError("compression pointer cut off");
        const target = ((length & 0x3f) << 8) | this.buf[at + 1];
        if (target >= lowestStart) throw new DnsFormatError("compression pointer does not point backwards");
        if (resumeAt === undefined) resumeAt = at + 2;
        lowestStart = target;
        at = target;
        continue;
      }
      if ((length & 0xc0) !== 0) throw new DnsFormatError(`unsupported label type 0x${length.toString(16)}`);
      if (length === 0) {
        this.offset = resumeAt ?? at + 1;
        return labelsToName(labels);
      }
      if (at + 1 + length > this.buf.length) throw new DnsFormatError("label runs past the end of the message");
      size += 1 + length;
      if (size > MAX_NAME_BYTES) throw new DnsFormatError(`name longer than ${MAX_NAME_BYTES} bytes`);
      labels.push(this.buf.subarray(at + 1, at + 1 + length));
      at += 1 + length;
    }
  }
}
