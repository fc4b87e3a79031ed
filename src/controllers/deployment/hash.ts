/**
 * The pod-template-hash: a 32-bit FNV-1a hash of the pod template (plus the deployment's
 * collisionCount, when set), printed in decimal and re-spelled in the alphabet names are safe
 * to carry (no vowels, no 0/1/3, so no words and no look-alikes).
 */
import { canonicalJson } from "./util";

type Obj = Record<string, any>;

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv1a(bytes: Uint8Array, h = FNV_OFFSET): number {
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  return h >>> 0;
}

/**
 * Maps each character of `s` to the safe alphabet by its code point.
 * @example safeEncodeString("123") // "567" ('1' = 49 → 49 % 27 = 22 → "5", ...)
 */
export function safeEncodeString(s: string): string {
  let out = "";
  for (const ch of s) out += SAFE_ALPHABET[ch.codePointAt(0)! % SAFE_ALPHABET.length];
  return out;
}

/**
 * The hash naming a deployment's ReplicaSet for `template`. The template is serialised with
 * sorted keys, so the hash does not depend on field order; a collisionCount is appended as four
 * little-endian bytes, so bumping it yields a fresh name after a collision.
 * @example computeHash(d.spec.template, d.status?.collisionCount) // e.g. "5d4f8c7b9"
 */
export function computeHash(template: Obj, collisionCount?: number): string {
  let h = fnv1a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a(bytes, h);
  }
  return safeEncodeString(String(h));
}
