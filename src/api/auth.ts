import type { MiddlewareHandler } from "hono";
import type { RequestUser } from "../store/cluster-store";
import { errors } from "./status";

export interface AuthVariables {
  user: RequestUser;
}

/** Paths anyone may read, as upstream's system:public-info-viewer role allows. */
const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version"]);

async function sha256Hex(s: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Constant-time comparison of two hex digests. */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Bearer-token authentication. The admin token is known only by its SHA-256 (a Worker secret on
 * Cloudflare, a generated binding locally), so no token is stored in the clear.
 *
 * @example app.use("*", bearerAuth())
 */
export function bearerAuth(): MiddlewareHandler<{ Bindings: Env; Variables: AuthVariables }> {
  return async function bearerAuthMiddleware(c, next) {
    const path = new URL(c.req.url).pathname;
    const header = c.req.header("authorization") ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (token) {
      const expected = c.env.ADMIN_TOKEN_SHA256;
      if (expected && sameDigest(await sha256Hex(token), expected.toLowerCase())) {
        c.set("user", { name: "flotilla-admin", groups: ["system:masters", "system:authenticated"] });
        return next();
      }
      throw errors.unauthorized();
    }
    if (PUBLIC_PATHS.has(path)) {
      c.set("user", { name: "system:anonymous", groups: ["system:unauthenticated"] });
      return next();
    }
    throw errors.unauthorized();
  };
}
