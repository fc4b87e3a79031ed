import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { generateSigningKey } from "../src/auth/jwt";

export interface AdminCredential {
  token: string;
  sha256: string;
}

export function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

/**
 * The admin bearer token. The server only ever sees its hash; the token itself lives in the
 * kubeconfig (mode 0600), which is where the user needs it.
 */
export function ensureAdminCredential(dir: string): AdminCredential {
  const kubeconfig = join(dir, "kubeconfig");
  if (existsSync(kubeconfig)) {
    const cfg = parse(readFileSync(kubeconfig, "utf8"));
    const token = cfg?.users?.find((u: { name: string }) => u.name === "flotilla-admin")?.user?.token;
    if (typeof token === "string" && token) return { token, sha256: sha256Hex(token) };
  }
  const token = randomBytes(32).toString("base64url");
  return { token, sha256: sha256Hex(token) };
}

/** The ES256 key that signs service-account and node tokens (a Worker secret on Cloudflare). */
export async function ensureSigningKey(dir: string): Promise<string> {
  const path = join(dir, "pki", "signing-key.jwk");
  if (existsSync(path)) return readFileSync(path, "utf8");
  mkdirSync(join(dir, "pki"), { recursive: true, mode: 0o700 });
  const jwk = JSON.stringify(await generateSigningKey());
  writeFileSync(path, jwk, { mode: 0o600 });
  return jwk;
}

/** Writes the kubeconfig for context `flotilla`, with the CA inline and the current server URL. */
export function writeKubeconfig(dir: string, server: string, caPem: string, token: string): string {
  const path = join(dir, "kubeconfig");
  const cfg = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "flotilla", cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: "flotilla-admin", user: { token } }],
    contexts: [{ name: "flotilla", context: { cluster: "flotilla", user: "flotilla-admin", namespace: "default" } }],
    "current-context": "flotilla",
    preferences: {},
  };
  // Keep a namespace the user picked with `kubectl config set-context --current --namespace`.
  if (existsSync(path)) {
    try {
      const old = parse(readFileSync(path, "utf8"));
      const ns = old?.contexts?.find((x: { name: string }) => x.name === "flotilla")?.context?.namespace;
      if (typeof ns === "string" && ns) cfg.contexts[0].context.namespace = ns;
    } catch {
      // an unreadable kubeconfig is simply replaced
    }
  }
  writeFileSync(path, stringify(cfg), { mode: 0o600 });
  return path;
}
