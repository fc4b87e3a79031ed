import { readFileSync } from "node:fs";
import { Agent, request, type RequestOptions } from "node:https";
import type { IncomingMessage } from "node:http";
import { parse } from "yaml";

/** Where a cluster is and how to talk to it, as a kubeconfig's current context says. */
export interface ClusterAccess {
  server: string;
  ca: string;
  token: string;
}

/** Reads server, CA and bearer token from a kubeconfig file (inline CA data only). */
export function readKubeconfig(path: string): ClusterAccess {
  const cfg = parse(readFileSync(path, "utf8"));
  const ctxName = cfg["current-context"] ?? cfg.contexts?.[0]?.name;
  const ctx = cfg.contexts?.find((c: { name: string }) => c.name === ctxName)?.context ?? {};
  const cluster = (cfg.clusters?.find((c: { name: string }) => c.name === ctx.cluster) ?? cfg.clusters?.[0])?.cluster ?? {};
  const user = (cfg.users?.find((u: { name: string }) => u.name === ctx.user) ?? cfg.users?.[0])?.user ?? {};
  const caData = cluster["certificate-authority-data"];
  const ca = caData ? Buffer.from(caData, "base64").toString("utf8") : readFileSync(cluster["certificate-authority"], "utf8");
  return { server: cluster.server, ca, token: user.token };
}

export interface KubeResponse {
  status: number;
  body: any;
}

export interface KubeClientOptions extends ClusterAccess {
  /** Most requests in flight at once; the rest wait their turn (default 8). */
  concurrency?: number;
  /** A request that takes longer than this fails (default 30 s). */
  timeoutMs?: number;
}

/**
 * A small JSON client over keep-alive HTTPS with a concurrency limit, so a burst of a thousand
 * calls reaches the server a few at a time. Counts every request it sends.
 *
 * @example
 * const kube = new KubeClient({ ...readKubeconfig(path), concurrency: 16 });
 * const { status, body } = await kube.send("GET", "/api/v1/pods");
 */
export class KubeClient {
  /** Requests sent (every HTTP request, watches included). */
  requests = 0;
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly limit: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly opts: KubeClientOptions) {
    this.base = new URL(opts.server);
    this.limit = opts.concurrency ?? 8;
    this.agent = new Agent({ keepAlive: true, maxSockets: this.limit + 2, ca: opts.ca });
  }

  /** Sends one JSON request (waiting for a free slot) and parses the answer when it is JSON. */
  async send(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse> {
    await this.acquire();
    try {
      return await this.once(method, path, body, contentType);
    } finally {
      this.release();
    }
  }

  /** Opens a streaming GET (a watch) outside the concurrency limit; the caller reads the response. */
  stream(path: string, signal: AbortSignal): Promise<IncomingMessage> {
    this.requests++;
    return new Promise((resolve, reject) => {
      const req = request(this.options("GET", path, {}, signal), resolve);
      req.on("error", reject);
      req.end();
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }

  private options(method: string, path: string, headers: Record<string, string | number>, signal?: AbortSignal): RequestOptions {
    return {
      host: this.base.hostname,
      port: Number(this.base.port || 443),
      method,
      path,
      agent: this.agent,
      signal,
      headers: { accept: "application/json", authorization: `Bearer ${this.opts.token}`, ...headers },
    };
  }

  private once(method: string, path: string, body: unknown, contentType: string): Promise<KubeResponse> {
    this.requests++;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = payload === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(payload) };
    return new Promise((resolve, reject) => {
      const req = request(this.options(method, path, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON; keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.setTimeout(this.opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  private async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

/** One event of a watch stream. */
export interface WatchEvent {
  type: string;
  object: Record<string, any>;
}

/** Splits a watch response body into its newline-delimited events, as they arrive. */
export async function* watchEvents(res: NodeJS.ReadableStream): AsyncGenerator<WatchEvent> {
  let buf = "";
  for await (const chunk of res) {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as WatchEvent;
    }
  }
}
