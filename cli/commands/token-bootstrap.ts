/**
 * Bootstrap tokens as kubeadm keeps them: "<id>.<secret>" ([a-z0-9]{6}.[a-z0-9]{16}), backed by a
 * Secret `bootstrap-token-<id>` of type bootstrap.kubernetes.io/token in kube-system. These are
 * the pure parts of `flotilla token`: making a token, its Secret, the join line, the list table.
 */
import { randomBytes } from "node:crypto";
import { caCertHash } from "../../agent/join/ca-pin";
import { parseDuration } from "../duration";
import { CLIError } from "../errors";
import type { ApiTarget } from "../kubeconfig";

export const BOOTSTRAP_SECRET_TYPE = "bootstrap.kubernetes.io/token";
export const BOOTSTRAP_SECRET_PREFIX = "bootstrap-token-";
export const SECRETS_PATH = "/api/v1/namespaces/kube-system/secrets";
/** The group joining nodes get besides system:bootstrappers (kubeadm's is ...:kubeadm:default-node-token). */
export const NODE_TOKEN_GROUP = "system:bootstrappers:flotilla:default-node-token";
export const DEFAULT_TTL = "24h";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const TOKEN_ID = /^[a-z0-9]{6}$/;
const TOKEN = /^([a-z0-9]{6})\.[a-z0-9]{16}$/;

/** `n` characters from [a-z0-9], unbiased (bytes past the last multiple of 36 are thrown away). */
function randomChars(n: number, bytes: (n: number) => Uint8Array): string {
  let out = "";
  while (out.length < n) {
    for (const b of bytes(n * 2)) {
      if (b < 252 && out.length < n) out += ALPHABET[b % 36];
    }
  }
  return out;
}

/**
 * A new bootstrap token from a cryptographic random source.
 * @example newBootstrapToken() // "k3x9qa.0f8z1m2n3b4v5c6x"
 */
export function newBootstrapToken(bytes: (n: number) => Uint8Array = (n) => randomBytes(n)): string {
  return `${randomChars(6, bytes)}.${randomChars(16, bytes)}`;
}

/**
 * A token's lifetime in seconds from --ttl; undefined means it never expires ("0").
 * @example parseTtl("24h") // 86400
 */
export function parseTtl(text: string): number | undefined {
  if (/^0+[smhd]?$/.test(text.trim())) return undefined;
  return parseDuration(text);
}

/** RFC 3339 at second precision, as upstream writes the expiration. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export interface BootstrapSecretOptions {
  token: string;
  /** Milliseconds since the epoch. */
  now: number;
  ttlSeconds?: number;
  description?: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The kube-system Secret that makes `token` a bootstrap token for joining nodes. */
export function bootstrapTokenSecret(o: BootstrapSecretOptions): Record<string, unknown> {
  if (!TOKEN.test(o.token)) throw new Error("not a bootstrap token");
  const [id, secret] = o.token.split(".");
  const data: Record<string, string> = {
    "token-id": id,
    "token-secret": secret,
    "usage-bootstrap-authentication": "true",
    "usage-bootstrap-signing": "true",
    "auth-extra-groups": NODE_TOKEN_GROUP,
  };
  if (o.ttlSeconds !== undefined) data.expiration = rfc3339(o.now + o.ttlSeconds * 1000);
  if (o.description) data.description = o.description;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `${BOOTSTRAP_SECRET_PREFIX}${id}`, namespace: "kube-system" },
    type: BOOTSTRAP_SECRET_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

/**
 * The command a new machine runs to join: the kubeconfig's server and, when the kubeconfig pins
 * a CA (a publicly trusted server has none), kubeadm's hash of that CA.
 */
export function joinCommand(target: ApiTarget, token: string): string {
  const parts = ["npx flotilla join", `--server ${target.server}`, `--token ${token}`];
  if (target.caPem) parts.push(`--ca-cert-hash ${caCertHash(target.caPem)}`);
  return parts.join(" ");
}

/** Whether the server is this machine's loopback address, which other machines cannot reach. */
export function isLoopbackServer(server: string): boolean {
  try {
    const host = new URL(server).hostname.replace(/^\[|\]$/g, "");
    return host === "localhost" || host === "::1" || /^127\./.test(host);
  } catch {
    return false;
  }
}

/** The token id from an id or a whole token; a CLIError for anything else. */
export function tokenId(text: string): string {
  const t = text.trim();
  if (TOKEN_ID.test(t)) return t;
  const m = TOKEN.exec(t);
  if (m) return m[1];
  throw new CLIError(`${JSON.stringify(text)} is not a bootstrap token id: expected six characters from [a-z0-9] (or a whole token, id.secret)`);
}

/** kubeadm's short human duration: 45s, 12m, 23h, 6d, 2y. */
export function shortDuration(seconds: number): string {
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  if (seconds < 365 * 86400) return `${Math.floor(seconds / 86400)}d`;
  return `${Math.floor(seconds / (365 * 86400))}y`;
}

const fromB64 = (v: unknown) => (typeof v === "string" ? Buffer.from(v, "base64").toString("utf8") : undefined);

/** One row of `flotilla token list`: [id, ttl, expires, usages, description, extra groups]. */
export function tokenRow(secret: any, now: number): string[] {
  const data: Record<string, unknown> = secret.data ?? {};
  const value = (k: string) => fromB64(data[k]);
  const id = value("token-id") ?? String(secret.metadata?.name ?? "").slice(BOOTSTRAP_SECRET_PREFIX.length);
  const expiration = value("expiration");
  let ttl = "<forever>";
  let expires = "<never>";
  if (expiration) {
    const at = Date.parse(expiration);
    ttl = Number.isNaN(at) ? "<invalid>" : shortDuration(Math.round((at - now) / 1000));
    expires = expiration;
  }
  const usages = Object.keys(data)
    .filter((k) => k.startsWith("usage-bootstrap-") && value(k) === "true")
    .map((k) => k.slice("usage-bootstrap-".length))
    .sort();
  return [id, ttl, expires, usages.join(",") || "<none>", value("description") || "<none>", value("auth-extra-groups") || "<none>"];
}

/** Columns padded to their widest cell, three spaces apart (kubeadm's tabwriter layout). */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join("")).join("\n") + "\n";
}
