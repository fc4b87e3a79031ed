/**
 * Writes DNS messages to the wire, with name compression, and cuts answers that do not fit a
 * UDP datagram the way resolvers expect: whole records only, the TC flag set when an answer or
 * authority record had to go (RFC 2181 §9), and the OPT record always kept.
 */
import { RRType, type DnsFlags, type DnsMessage, type DnsQuestion, type DnsRecord } from "./dns-message";
import { labelToText, nameToLabels } from "./dns-names";
import { ipv4ToBytes, ipv6ToBytes } from "./ip-text";
import { HEADER_BYTES } from "./dns-decode";

/** The largest message that fits the two-byte length of TCP framing. */
export const MAX_MESSAGE_BYTES = 65_535;

export interface EncodeOptions {
  /** Cut the message to at most this many bytes (a UDP reply's limit). */
  maxBytes?: number;
}

/** Encodes `msg`; see the module comment for what happens when it exceeds `maxBytes`. */
export function encodeMessage(msg: DnsMessage, opts: EncodeOptions = {}): Uint8Array {
  const limit = Math.min(opts.maxBytes ?? MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES);
  const full = encodeWithin(msg, MAX_MESSAGE_BYTES);
  if (full.length <= limit) return full;
  return encodeWithin(msg, limit);
}

/** Encodes as many whole records as fit in `limit` bytes. */
function encodeWithin(msg: DnsMessage, limit: number): Uint8Array {
  const w = new WireWriter();
  w.bytes(new Uint8Array(HEADER_BYTES));
  for (const q of msg.questions) writeQuestion(w, q);
  const opt = msg.additionals.filter((r) => r.type === RRType.OPT);
  const reserve = opt.reduce((n, r) => n + encodedSize(r), 0);
  let truncated = false;
  const counts: number[] = [];
  const sections: DnsRecord[][] = [msg.answers, msg.authorities, msg.additionals.filter((r) => r.type !== RRType.OPT)];
  sections.forEach((records, section) => {
    let count = 0;
    for (const record of records) {
      if (truncated) break;
      const mark = w.mark();
      writeRecord(w, record);
      if (w.length + reserve > limit) {
        w.rollback(mark);
        // leaving out extra records only is not a truncation (RFC 2181 §9)
        if (section < 2) truncated = true;
        break;
      }
      count++;
    }
    counts.push(count);
  });
  for (const record of opt) writeRecord(w, record);
  counts[2] += opt.length;
  w.writeHeader(msg.id, { ...msg.flags, tc: msg.flags.tc || truncated }, [msg.questions.length, counts[0], counts[1], counts[2]]);
  return w.result();
}

function encodedSize(record: DnsRecord): number {
  const w = new WireWriter();
  writeRecord(w, record);
  return w.length;
}

function writeQuestion(w: WireWriter, q: DnsQuestion): void {
  w.name(q.name, true);
  w.u16(q.type);
  w.u16(q.class);
}

function writeRecord(w: WireWriter, r: DnsRecord): void {
  w.name(r.name, true);
  w.u16(r.type);
  w.u16(r.class);
  w.u32(r.ttl);
  const lengthAt = w.length;
  w.u16(0);
  const d = r.data;
  switch (d.kind) {
    case "address":
      w.bytes(r.type === RRType.AAAA ? ipv6ToBytes(d.address) : ipv4ToBytes(d.address));
      break;
    case "name":
      w.name(d.name, true);
      break;
    case "srv":
      w.u16(d.priority);
      w.u16(d.weight);
      w.u16(d.port);
      // RFC 2782: the target must not be compressed
      w.name(d.target, false);
      break;
    case "mx":
      w.u16(d.preference);
      w.name(d.exchange, true);
      break;
    case "soa":
      w.name(d.mname, true);
      w.name(d.rname, true);
      for (const v of [d.serial, d.refresh, d.retry, d.expire, d.minimum]) w.u32(v);
      break;
    case "raw":
      w.bytes(d.bytes);
      break;
  }
  w.patchU16(lengthAt, w.length - lengthAt - 2);
}

interface WriterMark {
  length: number;
  names: number;
}

/** A growable buffer that remembers where each written name suffix starts, for compression. */
class WireWriter {
  private buf = new Uint8Array(512);
  length = 0;
  private readonly offsets = new Map<string, number>();
  private readonly added: string[] = [];

  mark(): WriterMark {
    return { length: this.length, names: this.added.length };
  }

  rollback(mark: WriterMark): void {
    this.length = mark.length;
    for (const key of this.added.splice(mark.names)) this.offsets.delete(key);
  }

  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u16(v: number): void {
    this.grow(2);
    this.buf[this.length++] = (v >> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }

  u32(v: number): void {
    this.u16((v >>> 16) & 0xffff);
    this.u16(v & 0xffff);
  }

  bytes(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  patchU16(at: number, v: number): void {
    this.buf[at] = (v >> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  /** Writes a name; with `compress`, a suffix already written becomes a pointer to it. */
  name(name: string, compress: boolean): void {
    const labels = nameToLabels(name);
    const texts = labels.map(labelToText);
    for (let i = 0; i < labels.length; i++) {
      // keys keep their case so that a pointer never changes how a name is spelled
      const key = texts.slice(i).join(".");
      const earlier = compress ? this.offsets.get(key) : undefined;
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (this.length < 0x4000 && !this.offsets.has(key)) {
        this.offsets.set(key, this.length);
        this.added.push(key);
      }
      this.grow(1 + labels[i].length);
      this.buf[this.length++] = labels[i].length;
      this.bytes(labels[i]);
    }
    this.grow(1);
    this.buf[this.length++] = 0;
  }

  writeHeader(id: number, f: DnsFlags, counts: number[]): void {
    const bits =
      (f.qr ? 0x8000 : 0) |
      ((f.opcode & 0xf) << 11) |
      (f.aa ? 0x0400 : 0) |
      (f.tc ? 0x0200 : 0) |
      (f.rd ? 0x0100 : 0) |
      (f.ra ? 0x0080 : 0) |
      (f.ad ? 0x0020 : 0) |
      (f.cd ? 0x0010 : 0) |
      (f.rcode & 0xf);
    this.patchU16(0, id);
    this.patchU16(2, bits);
    counts.forEach((c, i) => this.patchU16(4 + i * 2, c));
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
