/**
 * Tokens the server must refuse: expired, forged in every way a JWT can be, and plain garbage.
 */
import { env } from "cloudflare:workers";
import { base64url, fromBase64url, generateSigningKey, publicJwk, serviceAccountClaims, signJwt, type JwtClaims } from "../../src/auth/jwt";
import { AUDIENCE, nodeToken, randomToken } from "./auth-fixtures";

const enc = new TextEncoder();
const dec = new TextDecoder();

const key = () => JSON.parse(env.SIGNING_KEY!);
const segment = (v: unknown) => base64url(enc.encode(JSON.stringify(v)));

/** A service-account token for alpha/robot with `uid`, signed by the server's key unless another is given. */
export async function robotToken(uid: string, opts: { now?: number; seconds?: number; audience?: string; signer?: JsonWebKey } = {}): Promise<string> {
  const claims = serviceAccountClaims({ namespace: "alpha", name: "robot", uid, audiences: [opts.audience ?? AUDIENCE], expirationSeconds: opts.seconds ?? 3600, now: opts.now ?? Date.now() });
  return signJwt(claims, (opts.signer as JsonWebKey) ?? key());
}

/** The token with one signature character changed (not the last, whose low bits are padding). */
export function flipSignature(token: string): string {
  const [h, p, s] = token.split(".");
  const i = 10;
  const c = s[i] === "A" ? "B" : "A";
  return `${h}.${p}.${s.slice(0, i)}${c}${s.slice(i + 1)}`;
}

/** The token with its payload edited and the old signature kept. */
export function editPayload(token: string, edit: (c: JwtClaims) => JwtClaims): string {
  const [h, p, s] = token.split(".");
  const claims = JSON.parse(dec.decode(fromBase64url(p)));
  return `${h}.${segment(edit(claims))}.${s}`;
}

/** An unsigned token: header alg "none", empty signature. */
export function algNone(token: string): string {
  const [, p] = token.split(".");
  return `${segment({ alg: "none", typ: "JWT" })}.${p}.`;
}

/** The classic key-confusion forgery: HS256 with the public key as the HMAC secret. */
export async function hs256WithPublicKey(token: string): Promise<string> {
  const [, p] = token.split(".");
  const input = `${segment({ alg: "HS256", typ: "JWT" })}.${p}`;
  const secret = enc.encode(JSON.stringify(publicJwk(key())));
  const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `${input}.${base64url(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, enc.encode(input))))}`;
}

/** Every token of this file that must get 401, by a label that says what is wrong with it. */
export async function badTokens(robotUid: string): Promise<Record<string, string>> {
  const good = await robotToken(robotUid);
  const goodNode = await nodeToken("node-1");
  const otherKey = await generateSigningKey();
  return {
    "expired service-account token": await robotToken(robotUid, { now: Date.now() - 3 * 3600_000, seconds: 600 }),
    "expired node credential": await nodeToken("node-1", AUDIENCE, Date.now() - 3 * 3600_000, 600),
    "malformed: abc": "abc",
    "malformed: eyJ.x.y": "eyJ.x.y",
    "malformed: random": randomToken(),
    "malformed: two segments": good.split(".").slice(0, 2).join("."),
    "forged: changed signature byte": flipSignature(good),
    "forged: changed payload (other service account)": editPayload(good, (c) => ({ ...c, sub: "system:serviceaccount:kube-system:default", "kubernetes.io": { namespace: "kube-system", serviceaccount: { name: "default", uid: robotUid } } })),
    "forged: changed payload (node to another node)": editPayload(goodNode, (c) => ({ ...c, sub: "system:node:node-2" })),
    "forged: changed payload (later expiry)": editPayload(good, (c) => ({ ...c, exp: (c.exp as number) + 86400 })),
    "forged: wrong audience": await robotToken(robotUid, { audience: "https://example.com" }),
    "forged: wrong audience (node)": await nodeToken("node-1", "https://example.com"),
    "forged: alg none, no signature": algNone(good),
    "forged: HS256 signed with the public key": await hs256WithPublicKey(good),
    "forged: signed by another key": await robotToken(robotUid, { signer: otherKey }),
  };
}
