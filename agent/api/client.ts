/**
 * The agent's connection to the API server: JSON requests and watch streams over keep-alive
 * HTTPS, trusting a private CA when one is given (Node's global fetch cannot take one). Errors
 * never carry the bearer token.
 */
import type { IncomingMessage } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import { ApiError } from "./api-error";
import { JsonLines } from "./json-lines";

export { ApiError, isUnreachable } from "./api-error";

export type Query = Record<string, string | number | boolean | undefined>;

export interface ApiClientOptions {
  /** https://host[:port], optionally with a path prefix. */
  server: string;
  /** The bearer token, or a function returning the current one (a credential that rotates). */
  token: string | (() => string);
  /** Trust only this CA (PEM); without it, the system's trusted CAs. */
  caPem?: string;
  userAgent?: string;
  /** A request whose connection stays silent this long fails with ETIMEDOUT (default 30 s). */
  timeoutMs?: number;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
export interface WatchEvent {
  type: WatchEventType;
  object: any;
}

export type PatchType = "merge" | "strategic" | "json";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
};

/** A watch without timeoutSeconds is ended by the server after at most this long. */
const DEFAULT_WATCH_SECONDS = 600;

/** A Node error with a `code`, as the socket layer makes them. */
function codedError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * @example
 * const client = new ApiClient({ server: "https://127.0.0.1:8787", token, caPem });
 * const node = await client.get("/api/v1/nodes/n1");
 * await client.patch("/api/v1/nodes/n1/status", { status }, "strategic");
 * client.close();
 */
export class ApiClient {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ApiClientOptions) {
    this.base = new URL(opts.server);
    if (this.base.protocol !== "https:") throw new Error(`the API server must be an https:// URL, not ${opts.server}`);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.agent = new Agent({ keepAlive: true, ca: opts.caPem || undefined });
  }

  /** Sends one request and returns the parsed answer of a 2xx; anything else throws ApiError. */
  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const what = `${method} ${path}`;
    const res = await this.open(method, path, opts, this.timeoutMs);
    const text = await readText(res);
    const body = parseBody(text);
    if (res.statusCode! >= 200 && res.statusCode! < 300) return body as T;
    throw ApiError.fromResponse(res.statusCode!, body, what);
  }

  get<T = any>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, { query });
  }

  create<T = any>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, { body });
  }

  replace<T = any>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PUT", path, { body });
  }

  patch<T = any>(path: string, body: unknown, type: PatchType): Promise<T> {
    return this.request<T>("PATCH", path, { body, contentType: PATCH_CONTENT_TYPES[type] });
  }

  delete<T = any>(path: string, body?: unknown): Promise<T> {
    return this.request<T>("DELETE", path, { body });
  }

  /**
   * Watches `path` and hands each event to `onEvent` in order. Resolves when the server ends the
   * stream (timeoutSeconds ran out) or `signal` aborts; rejects on a refused watch or an ERROR
   * event (410 Expired: relist), on a broken connection, or when `onEvent` throws.
   */
  async watch(path: string, query: Query, onEvent: (e: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    const what = `watch ${path}`;
    // The connection may stay quiet for as long as the server keeps the watch open.
    const idleMs = (Number(query.timeoutSeconds) || DEFAULT_WATCH_SECONDS) * 1000 + this.timeoutMs;
    let res: IncomingMessage;
    try {
      res = await this.open("GET", path, { query: { ...query, watch: 1 }, signal }, idleMs);
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    if (res.statusCode !== 200) throw ApiError.fromResponse(res.statusCode!, parseBody(await readText(res)), what);
    await new Promise<void>((resolve, reject) => {
      const lines = new JsonLines();
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) {
          res.destroy();
          reject(err);
        } else resolve();
      };
      const deliver = (docs: unknown[]) => {
        for (const doc of docs) {
          if (settled) return;
          const ev = doc as WatchEvent;
          if (ev.type === "ERROR") return finish(ApiError.fromWatchError(ev.object, what));
          onEvent(ev);
        }
      };
      res.on("data", (chunk: Buffer) => {
        try {
          deliver(lines.push(chunk));
        } catch (e) {
          finish(e);
        }
      });
      res.on("end", () => {
        try {
          deliver(lines.end());
          finish();
        } catch (e) {
          finish(e);
        }
      });
      res.on("error", () => undefined);
      res.on("close", () => {
        if (signal?.aborted) finish();
        else finish(codedError("ECONNRESET", `${what}: the connection closed in the middle of the stream`));
      });
    });
  }

  /** Closes the pooled connections; requests in flight fail. */
  close(): void {
    this.agent.destroy();
  }

  private url(path: string, query?: Query): URL {
    const prefix = this.base.pathname.replace(/\/+$/, "");
    const url = new URL(prefix + path, this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** Sends the request and resolves with the response once its headers arrive. */
  private open(method: string, path: string, opts: RequestOptions, idleMs: number): Promise<IncomingMessage> {
    const url = this.url(path, opts.query);
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const token = typeof this.opts.token === "function" ? this.opts.token() : this.opts.token;
    const headers: Record<string, string | number> = {
      accept: "application/json",
      authorization: `Bearer ${token}`,
      "user-agent": this.opts.userAgent ?? "flotilla-agent",
    };
    if (payload !== undefined) {
      headers["content-type"] = opts.contentType ?? "application/json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, agent: this.agent, signal: opts.signal }, resolve);
      req.setTimeout(idleMs, () => req.destroy(codedError("ETIMEDOUT", `${method} ${path}: no answer within ${idleMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }
}

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.on("error", reject);
    res.on("close", () => {
      if (!res.complete) reject(codedError("ECONNRESET", "the connection closed before the answer was complete"));
    });
  });
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
