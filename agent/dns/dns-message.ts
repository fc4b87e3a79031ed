/**
 * The shape of a DNS message (RFC 1035 §4) as the cluster DNS server reads and writes it.
 * Names are written without the trailing dot ("" is the root); a label that holds a dot, a
 * backslash or a byte outside printable ASCII is escaped the usual way (`\.`, `\\`, `\DDD`).
 */

/** Record types the server answers or recognises. Others travel as raw bytes. */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, ANY: 255 } as const;

export const RCode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (EDNS0) code: its upper 8 bits travel in the OPT record. */
  BADVERS: 16,
} as const;

export const Opcode = { QUERY: 0 } as const;

export interface DnsFlags {
  /** A response rather than a query. */
  qr: boolean;
  opcode: number;
  /** Authoritative answer. */
  aa: boolean;
  /** Truncated: the whole answer did not fit; ask again over TCP. */
  tc: boolean;
  /** Recursion desired. */
  rd: boolean;
  /** Recursion available. */
  ra: boolean;
  /** Authentic data (DNSSEC). */
  ad: boolean;
  /** Checking disabled (DNSSEC). */
  cd: boolean;
  /** The low 4 bits of the response code; EDNS0 extends it through the OPT record. */
  rcode: number;
}

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export type RecordData =
  | { readonly kind: "address"; readonly address: string }
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "srv"; readonly priority: number; readonly weight: number; readonly port: number; readonly target: string }
  | { readonly kind: "mx"; readonly preference: number; readonly exchange: string }
  | {
      readonly kind: "soa";
      readonly mname: string;
      readonly rname: string;
      readonly serial: number;
      readonly refresh: number;
      readonly retry: number;
      readonly expire: number;
      readonly minimum: number;
    }
  | { readonly kind: "raw"; readonly bytes: Uint8Array };

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  /** For OPT records this is the sender's UDP payload size. */
  readonly class: number;
  /** For OPT records this carries the extended rcode, the EDNS version and the DO flag. */
  readonly ttl: number;
  readonly data: RecordData;
}

export interface DnsMessage {
  id: number;
  flags: DnsFlags;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** Which `RecordData` kind a record type's data decodes to. */
export function dataKindOf(type: number): RecordData["kind"] {
  switch (type) {
    case RRType.A:
    case RRType.AAAA:
      return "address";
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
      return "name";
    case RRType.SRV:
      return "srv";
    case RRType.MX:
      return "mx";
    case RRType.SOA:
      return "soa";
    default:
      return "raw";
  }
}

export function emptyFlags(): DnsFlags {
  return { qr: false, opcode: Opcode.QUERY, aa: false, tc: false, rd: false, ra: false, ad: false, cd: false, rcode: RCode.NOERROR };
}
