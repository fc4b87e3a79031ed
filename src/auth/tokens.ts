/**
 * Opaque token helpers: bootstrap tokens ("abcdef.0123456789abcdef", kubeadm's format, backed by
 * a Secret in kube-system), SHA-256 digests for tokens stored only by hash, and a comparison that
 * takes the same time whatever the inputs share.
 */
import type { UserInfo } from "./request-attributes";

export const BOOTSTRAP_TOKEN_SECRET_TYPE = "bootstrap.kubernetes.io/token";
export const BOOTSTRAP_TOKEN_SECRET_PREFIX = "bootstrap-token-";
export const BOOTSTRAP_USER_PREFIX = "system:bootstrap:";
export const BOOTSTRAP_GROUP = "system:bootstrappers";

const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const EXTRA_GROUP_RE = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/**
 * Splits a bootstrap token into its public id and its secret; undefined when it is not one.
 * @example parseBootstrapToken("abcdef.0123456789abcdef") // { id: "abcdef", secret: "0123456789abcdef" }
 */
export function parseBootstrapToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN_RE.exec(token);
  return m ? { id: m[1], secret: m[2] } : undefined;
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `s`. */
export async function sha256Hex(s: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Compares two strings without an early exit; the length difference is the only thing timing
 * can reveal. Compare digests (fixed length) to hide even that.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

type Obj = Record<string, unknown>;

/** A Secret value from `data` (base64) or, for objects not yet normalised, `stringData`. */
function secretValue(secret: Obj, key: string): string | undefined {
  const data = (secret.data ?? {}) as Record<string, unknown>;
  if (typeof data[key] === "string") {
    try {
      const bin = atob(data[key] as string);
      return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
    } catch {
      return undefined;
    }
  }
  const plain = (secret.stringData ?? {}) as Record<string, unknown>;
  return typeof plain[key] === "string" ? (plain[key] as string) : undefined;
}

/**
 * The user a bootstrap token authenticates as, given the Secret `bootstrap-token-<id>` from
 * kube-system: "system:bootstrap:<id>" in system:bootstrappers plus the Secret's
 * auth-extra-groups. Undefined when the Secret is not a usable bootstrap token Secret for this
 * token: wrong type or name, deleted, secret mismatch, expired (an unparseable expiration
 * counts as expired), not marked for authentication, or with an invalid extra group.
 *
 * @example userFromBootstrapSecret(secret, "0123456789abcdef", clock.now()) // { name: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:authenticated"] }
 */
export function userFromBootstrapSecret(secret: Obj, tokenSecret: string, now: number): UserInfo | undefined {
  const meta = (secret.metadata ?? {}) as Obj;
  if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || meta.deletionTimestamp) return undefined;
  const id = secretValue(secret, "token-id");
  const stored = secretValue(secret, "token-secret");
  if (!id || stored === undefined || meta.name !== `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`) return undefined;
  if (!constantTimeEqual(stored, tokenSecret)) return undefined;
  const expiration = secretValue(secret, "expiration");
  if (expiration !== undefined) {
    const at = Date.parse(expiration);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(expiration) || Number.isNaN(at) || now > at) return undefined;
  }
  if (secretValue(secret, "usage-bootstrap-authentication") !== "true") return undefined;
  const groups = new Set([BOOTSTRAP_GROUP]);
  const extra = secretValue(secret, "auth-extra-groups");
  if (extra) {
    for (const raw of extra.split(",")) {
      const g = raw.trim();
      if (!EXTRA_GROUP_RE.test(g)) return undefined;
      groups.add(g);
    }
  }
  return { name: `${BOOTSTRAP_USER_PREFIX}${id}`, groups: [...[...groups].sort(), "system:authenticated"] };
}
