/**
 * Static user tokens as the server keeps them (see src/store/access.ts): a Secret in kube-system
 * of type flotilla.dev/user-token named after the token's SHA-256, holding only that hash.
 */
import { createHash, randomBytes } from "node:crypto";
import { CLIError } from "./errors";

export const USER_TOKEN_SECRET_TYPE = "flotilla.dev/user-token";
export const USER_LABEL = "flotilla.dev/user";
export const SECRETS_PATH = "/api/v1/namespaces/kube-system/secrets";

const LABEL_VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** A new random token: 32 bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Refuses user names the Secret's label cannot carry, and the reserved system: prefix. */
export function checkUserName(name: string): void {
  if (!LABEL_VALUE.test(name)) throw new CLIError(`invalid user name ${JSON.stringify(name)}: use up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
}

/** Refuses groups that cannot be stored (commas separate them) or are empty. */
export function checkGroups(groups: string[]): void {
  for (const g of groups) {
    if (!g.trim() || g.includes(",")) throw new CLIError(`invalid group ${JSON.stringify(g)}: groups must be non-empty and contain no comma`);
  }
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/**
 * The Secret that makes `token` authenticate as `user` in `groups`, until `expiresAt` if given.
 * @example userTokenSecret(newToken(), "alice", ["devs"], new Date(Date.now() + 3600_000))
 */
export function userTokenSecret(token: string, user: string, groups: string[], expiresAt?: Date): Record<string, unknown> {
  const sha = createHash("sha256").update(token).digest("hex");
  const data: Record<string, string> = { user: b64(user), groups: b64(groups.join(",")), "token-sha256": b64(sha) };
  if (expiresAt) data.expiration = b64(expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z"));
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `user-token-${sha.slice(0, 40)}`, namespace: "kube-system", labels: { [USER_LABEL]: user } },
    type: USER_TOKEN_SECRET_TYPE,
    data,
  };
}

/**
 * Every value of a repeatable option in raw arguments (`--group a --group=b -g c`), which
 * the argument parser would collapse to the last one.
 */
export function repeated(rawArgs: string[], long: string, short?: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i];
    if (a === "--") break;
    if (a === `--${long}` || (short && a === `-${short}`)) {
      const v = rawArgs[i + 1];
      if (v === undefined || v.startsWith("-")) throw new CLIError(`--${long} needs a value`);
      out.push(v);
      i++;
    } else if (a.startsWith(`--${long}=`)) out.push(a.slice(long.length + 3));
  }
  return out;
}
