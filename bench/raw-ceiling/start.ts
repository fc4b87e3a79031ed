import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import type { HttpClient } from "../http-client";
import type { Operation } from "../load";
import type { WatchTarget } from "../watch-latency";

export interface RawCeilingOptions {
  /** Bundle and SQLite files go here. */
  dir: string;
  host: string;
  /** The serving key and certificate, shared with the cluster under test. */
  httpsKeyPath: string;
  httpsCertPath: string;
}

export interface RawCeiling {
  url: string;
  stop(): Promise<void>;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Bundles the bare Worker and runs it in workerd through Miniflare with the same options as the
 * local cluster (HTTPS, SQLite-backed object persisted to disk), on a free port.
 */
export async function startRawCeiling(opts: RawCeilingOptions): Promise<RawCeiling> {
  const outDir = join(opts.dir, "build");
  mkdirSync(outDir, { recursive: true });
  const scriptPath = join(outDir, "raw-ceiling.js");
  await build({
    entryPoints: [join(HERE, "worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*", "node:*"],
    outfile: scriptPath,
    logLevel: "error",
  });
  const miniflare = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: outDir,
    compatibilityDate: "2026-04-01",
    compatibilityFlags: ["nodejs_compat"],
    durableObjects: { RAW: { className: "RawStore", useSQLite: true } },
    durableObjectsPersist: join(opts.dir, "state"),
    host: opts.host,
    port: 0,
    httpsKeyPath: opts.httpsKeyPath,
    httpsCertPath: opts.httpsCertPath,
  });
  try {
    const ready = await miniflare.ready;
    return { url: `https://${opts.host}:${ready.port}`, stop: () => miniflare.dispose() };
  } catch (e) {
    await miniflare.dispose().catch(() => undefined);
    throw e;
  }
}

/** 1,500 bytes of JSON, the size of a realistic ConfigMap. */
export const RAW_VALUE = JSON.stringify({ v: "x".repeat(1_492) });

/** A 1,500-byte JSON value carrying a send time. */
function timedValue(sentAt: string): string {
  const head = `{"sentAt":"${sentAt}","v":"`;
  return `${head}${"x".repeat(1_500 - head.length - 2)}"}`;
}

/** The ceiling's two operations: POST a new key (one insert) and GET an inserted key (one select). */
export class RawOps {
  private readonly keys: string[] = [];
  private next = 0;

  readonly insert: Operation = async (client: HttpClient) => {
    const key = `k${++this.next}`;
    const res = await client.send("POST", `/kv/${key}`, RAW_VALUE);
    if (res.status === 201) this.keys.push(key);
    return res;
  };

  readonly read: Operation = (client: HttpClient, seq: number) => client.send("GET", `/kv/${this.keys[seq % this.keys.length]}`);

  /** Watches every insert; each write inserts a timed value under a new key. */
  readonly watchTarget: WatchTarget = {
    watchPath: async () => "/watch",
    write: (_i, sentAt) => ({ path: `/kv/k${++this.next}`, body: timedValue(sentAt) }),
  };
}
