/**
 * EDNS0 (RFC 6891): a client's OPT pseudo-record says how large a UDP answer it accepts. The
 * server answers with an OPT of its own, and options it does not know (cookies, padding, client
 * subnet) are ignored, which the RFC allows.
 */
import { RRType, type DnsMessage, type DnsRecord } from "./dns-message";

/** Without EDNS0 a UDP message may not exceed this. */
export const CLASSIC_UDP_BYTES = 512;

/** What the server offers in its OPT: the size usually recommended to avoid IP fragmentation. */
export const SERVER_UDP_BYTES = 1232;

export interface EdnsInfo {
  udpBytes: number;
  version: number;
  dnssecOk: boolean;
}

/** The client's EDNS0 settings; undefined without OPT; "invalid" when there is more than one OPT or it is not at the root. */
export function readEdns(msg: DnsMessage): EdnsInfo | "invalid" | undefined {
  const opts = msg.additionals.filter((r) => r.type === RRType.OPT);
  if (opts.length === 0) return undefined;
  if (opts.length > 1 || opts[0].name !== "") return "invalid";
  const opt = opts[0];
  return { udpBytes: Math.max(opt.class, CLASSIC_UDP_BYTES), version: (opt.ttl >>> 16) & 0xff, dnssecOk: (opt.ttl & 0x8000) !== 0 };
}

/** The server's OPT record; `rcode` is the full (possibly extended) response code. */
export function serverOpt(rcode: number): DnsRecord {
  return { name: "", type: RRType.OPT, class: SERVER_UDP_BYTES, ttl: ((rcode >> 4) & 0xff) << 24, data: { kind: "raw", bytes: new Uint8Array(0) } };
}

/** How large a UDP answer to `query` may be. */
export function udpLimit(edns: EdnsInfo | undefined): number {
  return edns ? Math.min(edns.udpBytes, 4096) : CLASSIC_UDP_BYTES;
}
