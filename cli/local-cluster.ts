import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { ensureAdminCredential, ensureSigningKey, writeKubeconfig } from "./credentials";
import { ensurePki } from "./pki";

export interface LocalClusterOptions {
  /** State, certificates and kubeconfig live here (default: <repo>/.flotilla). */
  dir?: string;
  host?: string;
  port?: number;
  /** Keep the store in memory only (tests). */
  ephemeral?: boolean;
  /** Extra Worker bindings (tests). */
  bindings?: Record<string, string>;
}

export interface LocalCluster {
  url: string;
  kubeconfigPath: string;
  adminToken: string;
  caCertPath: string;
  miniflare: Miniflare;
  stop(): Promise<void>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Bundles the Worker the way `wrangler deploy` would, without wrangler's dev tooling. */
export async function bundleWorker(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "index.js");
  await build({
    entryPoints: [join(ROOT, "src/index.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "import"],
    external: ["cloudflare:*", "node:*"],
    outfile,
    logLevel: "error",
  });
  return outfile;
}

/**
 * Runs the control plane in workerd through Miniflare's API, over HTTPS with a local CA, and
 * writes the admin kubeconfig. This is what `npm start` runs and what end-to-end tests start.
 */
export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const dir = resolve(opts.dir ?? join(ROOT, ".flotilla"));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const host = opts.host ?? "127.0.0.1";
  const pki = ensurePki(dir, host !== "0.0.0.0" && host !== "127.0.0.1" ? [host] : []);
  const admin = ensureAdminCredential(dir);
  const signingKey = await ensureSigningKey(dir);
  const scriptPath = await bundleWorker(join(dir, "build"));
  const miniflare = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: dirname(scriptPath),
    compatibilityDate: "2026-04-01",
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { CLUSTER: { className: "ClusterStore", useSQLite: true }, RELAY: { className: "NodeRelay", useSQLite: true } },
    durableObjectsPersist: opts.ephemeral ? false : join(dir, "state"),
    bindings: {
      CLUSTER_NAME: "default",
      ADMIN_TOKEN_SHA256: admin.sha256,
      SIGNING_KEY: signingKey,
      NODE_MONITOR_GRACE_SECONDS: process.env.FLOTILLA_NODE_MONITOR_GRACE_SECONDS ?? "40",
      ...(process.env.FLOTILLA_SERVICE_CIDR ? { SERVICE_CIDR: process.env.FLOTILLA_SERVICE_CIDR } : {}),
      ...opts.bindings,
    },
    host,
    port: opts.port ?? 8787,
    httpsKeyPath: pki.keyPath,
    httpsCertPath: pki.certPath,
  });
  const ready = await miniflare.ready;
  const port = Number(ready.port);
  const url = `https://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  const kubeconfigPath = writeKubeconfig(dir, url, pki.caPem, admin.token);
  return { url, kubeconfigPath, adminToken: admin.token, caCertPath: pki.caCertPath, miniflare, stop: () => miniflare.dispose() };
}
