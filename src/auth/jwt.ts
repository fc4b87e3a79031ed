/**
 * ES256 JSON Web Tokens on WebCrypto, and the two kinds of token the control plane issues:
 * service-account tokens (the claim set kube-apiserver's TokenRequest issues) and node
 * credentials. A private claim records which kind a token is, so one can never stand in for
 * the other even though both are signed with the same key.
 */
import type { UserInfo } from "./request-attributes";

export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local";
/** The private claim naming a token's kind. */
export const TOKEN_TYPE_CLAIM = "flotilla.dev/token-type";
export type TokenType = "serviceaccount" | "node";

export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

export type VerifyResult = { claims: JwtClaims; error?: undefined } | { claims?: undefined; error: string };

export interface VerifyOptions {
  /** Accepted audiences; the token's `aud` must contain at least one. */
  audience: string | readonly string[];
  /** Milliseconds since the epoch. */
  now: number;
  /** Required `iss`, when given. */
  issuer?: string;
  /** Clock skew tolerated on exp/nbf (go-jose's default: 60 s). */
  leewaySeconds?: number;
}

const ALG = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error("malformed base64url");
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function publicPart(jwk: JsonWebKey): JsonWebKey {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}

/** The public half of a signing key (what verifiers and a JWKS document publish). */
export function publicJwk(jwk: JsonWebKey & { kid?: string }): JsonWebKey & { kid?: string } {
  return { ...publicPart(jwk), kid: jwk.kid, alg: "ES256", use: "sig" };
}

/**
 * A new P-256 signing key as a private JWK. Its `kid` is the unpadded base64url SHA-256 of the
 * public key's DER encoding, as the API server derives key ids.
 * @example const key = await generateSigningKey(); // { kty: "EC", crv: "P-256", d, x, y, kid, alg: "ES256", use: "sig" }
 */
export async function generateSigningKey(): Promise<JsonWebKey & { kid: string }> {
  const pair = (await crypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  const spki = (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer;
  const kid = base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", spki)));
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d, kid, alg: "ES256", use: "sig" };
}

/** Signs `claims` with ES256. */
export async function signJwt(claims: JwtClaims, privateJwk: JsonWebKey & { kid?: string }): Promise<string> {
  const header: Record<string, string> = { alg: "ES256", typ: "JWT" };
  if (privateJwk.kid) header.kid = privateJwk.kid;
  const input = `${base64url(enc.encode(JSON.stringify(header)))}.${base64url(enc.encode(JSON.stringify(claims)))}`;
  const key = await crypto.subtle.importKey("jwk", { ...publicPart(privateJwk), d: privateJwk.d }, ALG, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign(SIGN, key, enc.encode(input)));
  return `${input}.${base64url(sig)}`;
}

function parseJson(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(dec.decode(fromBase64url(segment)));
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies an ES256 token against a key (public or private JWK) and checks its time window and
 * audience. Anything but alg ES256 is refused, "none" included.
 * @example const r = await verifyJwt(token, key, { audience: "https://kubernetes.default.svc", now: clock.now() }); if (r.error) ...
 */
export async function verifyJwt(token: string, jwk: JsonWebKey & { kid?: string }, opts: VerifyOptions): Promise<VerifyResult> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => p === "")) return { error: "malformed token" };
  const header = parseJson(parts[0]);
  if (!header) return { error: "malformed token header" };
  if (header.alg !== "ES256") return { error: `unsupported signing algorithm ${JSON.stringify(header.alg)}` };
  if (typeof header.kid === "string" && jwk.kid && header.kid !== jwk.kid) return { error: "token signed by an unknown key" };
  let sig: Uint8Array;
  try {
    sig = fromBase64url(parts[2]);
  } catch {
    return { error: "malformed token signature" };
  }
  if (sig.length !== 64) return { error: "invalid token signature" };
  let valid = false;
  try {
    const key = await crypto.subtle.importKey("jwk", publicPart(jwk), ALG, false, ["verify"]);
    valid = await crypto.subtle.verify(SIGN, key, sig, enc.encode(`${parts[0]}.${parts[1]}`));
  } catch {
    valid = false;
  }
  if (!valid) return { error: "invalid token signature" };
  const claims = parseJson(parts[1]) as JwtClaims | undefined;
  if (!claims) return { error: "malformed token payload" };
  const now = Math.floor(opts.now / 1000);
  const leeway = opts.leewaySeconds ?? 60;
  if (typeof claims.exp !== "number") return { error: "token has no expiry" };
  if (now > claims.exp + leeway) return { error: "token has expired" };
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || now < claims.nbf - leeway)) return { error: "token is not valid yet" };
  if (claims.iat !== undefined && (typeof claims.iat !== "number" || now < claims.iat - leeway)) return { error: "token was issued in the future" };
  if (opts.issuer !== undefined && claims.iss !== opts.issuer) return { error: "token has an unexpected issuer" };
  const accepted = typeof opts.audience === "string" ? [opts.audience] : opts.audience;
  const aud = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!aud.some((a) => accepted.includes(a))) return { error: "token audiences are invalid" };
  return { claims };
}

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface ServiceAccountClaimsOptions {
  namespace: string;
  name: string;
  uid: string;
  audiences: string[];
  expirationSeconds: number;
  /** Milliseconds since the epoch. */
  now: number;
  /** The pod the token is bound to. */
  pod?: ObjectRef;
  /** The node of that pod. */
  node?: ObjectRef;
  /** Token id; a random UUID when omitted. */
  jti?: string;
  issuer?: string;
}

/**
 * The claim set of a service-account token, as TokenRequest issues it.
 * @example serviceAccountClaims({ namespace: "a", name: "default", uid, audiences: ["https://kubernetes.default.svc.cluster.local"], expirationSeconds: 3600, now })
 */
export function serviceAccountClaims(o: ServiceAccountClaimsOptions): JwtClaims {
  const iat = Math.floor(o.now / 1000);
  const k8s: Record<string, unknown> = { namespace: o.namespace, serviceaccount: { name: o.name, uid: o.uid } };
  if (o.pod) k8s.pod = { name: o.pod.name, uid: o.pod.uid };
  if (o.node) k8s.node = { name: o.node.name, uid: o.node.uid };
  return {
    aud: [...o.audiences],
    exp: iat + o.expirationSeconds,
    iat,
    iss: o.issuer ?? SERVICE_ACCOUNT_ISSUER,
    jti: o.jti ?? crypto.randomUUID(),
    "kubernetes.io": k8s,
    nbf: iat,
    sub: `system:serviceaccount:${o.namespace}:${o.name}`,
    [TOKEN_TYPE_CLAIM]: "serviceaccount",
  };
}

const asObj = (v: unknown): Record<string, unknown> => (v && typeof v === "object" ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/**
 * The user a verified service-account token authenticates as; undefined when the claims are not
 * a consistent service-account claim set. (Callers still check that the ServiceAccount, and the
 * bound pod, exist with the claimed uids.)
 */
export function userFromServiceAccountClaims(claims: JwtClaims): (UserInfo & { uid: string }) | undefined {
  if (claims[TOKEN_TYPE_CLAIM] !== "serviceaccount") return undefined;
  const k8s = asObj(claims["kubernetes.io"]);
  const ns = str(k8s.namespace);
  const sa = asObj(k8s.serviceaccount);
  const name = str(sa.name);
  if (!ns || !name || claims.sub !== `system:serviceaccount:${ns}:${name}`) return undefined;
  const extra: Record<string, string[]> = {};
  const pod = asObj(k8s.pod);
  if (str(pod.name)) {
    extra["authentication.kubernetes.io/pod-name"] = [str(pod.name)];
    extra["authentication.kubernetes.io/pod-uid"] = [str(pod.uid)];
  }
  const node = asObj(k8s.node);
  if (str(node.name)) {
    extra["authentication.kubernetes.io/node-name"] = [str(node.name)];
    extra["authentication.kubernetes.io/node-uid"] = [str(node.uid)];
  }
  if (claims.jti) extra["authentication.kubernetes.io/credential-id"] = [`JTI=${claims.jti}`];
  return {
    name: claims.sub,
    uid: str(sa.uid),
    groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
    extra,
  };
}

export interface NodeClaimsOptions {
  nodeName: string;
  audiences: string[];
  expirationSeconds: number;
  now: number;
  jti?: string;
  issuer?: string;
}

/** The claim set of a node credential (user system:node:<name>, group system:nodes). */
export function nodeCredentialClaims(o: NodeClaimsOptions): JwtClaims {
  const iat = Math.floor(o.now / 1000);
  return {
    aud: [...o.audiences],
    exp: iat + o.expirationSeconds,
    iat,
    iss: o.issuer ?? SERVICE_ACCOUNT_ISSUER,
    jti: o.jti ?? crypto.randomUUID(),
    nbf: iat,
    sub: `system:node:${o.nodeName}`,
    [TOKEN_TYPE_CLAIM]: "node",
  };
}

/** The user a verified node credential authenticates as; undefined for any other token. */
export function userFromNodeClaims(claims: JwtClaims): UserInfo | undefined {
  if (claims[TOKEN_TYPE_CLAIM] !== "node") return undefined;
  const sub = str(claims.sub);
  const node = sub.startsWith("system:node:") ? sub.slice("system:node:".length) : "";
  if (!node || node.includes(":")) return undefined;
  const extra: Record<string, string[]> = claims.jti ? { "authentication.kubernetes.io/credential-id": [`JTI=${claims.jti}`] } : {};
  return { name: sub, groups: ["system:nodes", "system:authenticated"], extra };
}
