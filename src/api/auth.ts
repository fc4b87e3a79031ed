import type { MiddlewareHandler } from "hono";
import { publicJwk, SERVICE_ACCOUNT_ISSUER, userFromNodeClaims, userFromServiceAccountClaims, verifyJwt } from "../auth/jwt";
import type { UserInfo } from "../auth/request-attributes";
import { constantTimeEqual, parseBootstrapToken, sha256Hex } from "../auth/tokens";
import type { Clock } from "../lib/clock";
import { errors } from "./status";
import { storeFor } from "./store-client";

export interface AuthVariables {
  user: UserInfo;
}

/** The audience every API token must carry (upstream's default API audience). */
export const API_AUDIENCE = SERVICE_ACCOUNT_ISSUER;

/** Paths anyone may read without credentials, as upstream's system:public-info-viewer allows. */
export const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);

const ANONYMOUS: UserInfo = { name: "system:anonymous", groups: ["system:unauthenticated"] };
const ADMIN: UserInfo = { name: "flotilla-admin", groups: ["system:masters", "system:authenticated"] };

let cachedKey: { raw: string; jwk: JsonWebKey & { kid?: string } } | undefined;

/** The public half of the signing key (a Worker secret on Cloudflare, a generated file locally). */
export function verificationKey(env: Env): (JsonWebKey & { kid?: string }) | undefined {
  const raw = env.SIGNING_KEY;
  if (!raw) return undefined;
  if (cachedKey?.raw !== raw) cachedKey = { raw, jwk: publicJwk(JSON.parse(raw)) };
  return cachedKey!.jwk;
}

function looksLikeJwt(token: string): boolean {
  return token.startsWith("eyJ") && token.split(".").length === 3;
}

/**
 * Turns a bearer token into a user. Signed tokens (service accounts, nodes) are checked here in
 * the Worker; the admin token by its hash; static user tokens and bootstrap tokens by a lookup in
 * the store, which keeps only their hashes. Undefined means the token is not valid.
 */
export async function authenticate(token: string, env: Env, clock: Clock): Promise<UserInfo | undefined> {
  const hash = await sha256Hex(token);
  if (env.ADMIN_TOKEN_SHA256 && constantTimeEqual(hash, env.ADMIN_TOKEN_SHA256.toLowerCase())) return ADMIN;
  if (looksLikeJwt(token)) {
    const key = verificationKey(env);
    if (!key) return undefined;
    const res = await verifyJwt(token, key, { audience: API_AUDIENCE, now: clock.now() });
    if (!res.claims) return undefined;
    return userFromServiceAccountClaims(res.claims) ?? userFromNodeClaims(res.claims);
  }
  const bootstrap = parseBootstrapToken(token);
  const res = await storeFor(env).authenticateToken(bootstrap ? { kind: "bootstrap", id: bootstrap.id, secretSha256: await sha256Hex(bootstrap.secret) } : { kind: "static", sha256: hash });
  return res ?? undefined;
}

/**
 * Bearer-token authentication. No credentials is anonymous, which only the public paths accept;
 * a token that does not authenticate is always 401.
 *
 * @example app.use("*", bearerAuth())
 */
export function bearerAuth(clock: Clock): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header("authorization") ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!token) {
      if (!PUBLIC_PATHS.has(new URL(c.req.url).pathname)) throw errors.unauthorized();
      c.set("user", ANONYMOUS);
      return next();
    }
    const user = await authenticate(token, c.env, clock);
    if (!user) throw errors.unauthorized();
    c.set("user", user);
    return next();
  };
}
