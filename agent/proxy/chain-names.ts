/**
 * Names of the packet-filter chains one agent's proxy owns. Every name starts with the agent's
 * prefix and a dash, followed by a fixed role or by a role and a 16-character digest, so a name
 * tells exactly which agent owns it (another prefix, the CNI plugins' chains or any other tool's
 * never match) and stays within iptables' 28-character limit.
 */
import { createHash } from "node:crypto";

const PREFIX = /^[a-z0-9]{1,6}$/;
const FIXED_ROLES = ["SERVICES", "NODEPORTS", "POSTROUTING", "MARK-MASQ"] as const;
const HASHED_ROLES = ["SVC", "SVL", "EXT", "SEP"] as const;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const DIGEST_LENGTH = 16;

export type FixedRole = (typeof FIXED_ROLES)[number];
/** SVC: a service port's endpoints; SVL: its node-local ones; EXT: its external entry; SEP: one endpoint. */
export type HashedRole = (typeof HASHED_ROLES)[number];

/** Throws unless the prefix is 1-6 lowercase letters and digits (no "-", so ownership stays unambiguous). */
export function assertValidChainPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) throw new Error(`invalid proxy chain prefix "${prefix}": use 1-6 lowercase letters and digits`);
}

/** One of the prefix's fixed chains, e.g. "n1-SERVICES". */
export function fixedChain(prefix: string, role: FixedRole): string {
  return `${prefix}-${role}`;
}

/** RFC 4648 base32 of the SHA-256 of `key`, first 16 characters (80 bits: collisions are not a concern). */
export function digest(key: string): string {
  const bytes = createHash("sha256").update(key).digest();
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < DIGEST_LENGTH) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length === DIGEST_LENGTH) break;
  }
  return out;
}

/** A per-service-port or per-endpoint chain, e.g. "n1-SVC-PK5WNJDG7QFFBAYH". */
export function hashedChain(prefix: string, role: HashedRole, key: string): string {
  return `${prefix}-${role}-${digest(key)}`;
}

/** Whether `chain` is one this prefix's proxy makes (and so may flush and delete). */
export function isOwnChain(prefix: string, chain: string): boolean {
  const head = `${prefix}-`;
  if (!chain.startsWith(head)) return false;
  const rest = chain.slice(head.length);
  if ((FIXED_ROLES as readonly string[]).includes(rest)) return true;
  const m = /^([A-Z]+)-([A-Z2-7]+)$/.exec(rest);
  return !!m && (HASHED_ROLES as readonly string[]).includes(m[1]) && m[2].length === DIGEST_LENGTH;
}
