import { Agent, request } from "node:https";
import type { Socket } from "node:net";

export interface HttpResponse {
  status: number;
  body: string;
}

export interface HttpClientOptions {
  /** `https://host:port` of the server. */
  baseUrl: string;
  /** PEM of the CA that signed the server's certificate. */
  ca: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** A request that takes longer than this fails (default 30 s). */
  timeoutMs?: number;
}

/**
 * One keep-alive HTTPS connection (an agent with a single socket), so a load worker owns exactly
 * one connection and a reconnect shows up in `connections`. Built on node:https to keep the load
 * generator cheap on a small machine.
 *
 * @example
 * const client = new HttpClient({ baseUrl, ca, token });
 * const { status, body } = await client.send("GET", "/api/v1/namespaces");
 */
export class HttpClient {
  /** Sockets this client has opened; more than one means the server dropped a connection. */
  connections = 0;
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly seen = new WeakSet<Socket>();

  constructor(private readonly opts: HttpClientOptions) {
    const url = new URL(opts.baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port || 443);
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, ca: opts.ca });
  }

  /** Sends one request and reads the whole answer; rejects on a network error or timeout. */
  send(method: string, path: string, body?: string, contentType = "application/json"): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: "application/json" };
      if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
      if (body !== undefined) {
        headers["content-type"] = contentType;
        headers["content-length"] = Buffer.byteLength(body);
      }
      const req = request({ host: this.host, port: this.port, method, path, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("socket", (s: Socket) => {
        if (this.seen.has(s)) return;
        this.seen.add(s);
        this.connections++;
      });
      req.on("error", reject);
      req.setTimeout(this.opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.end(body);
    });
  }

  /** Closes the connection. */
  close(): void {
    this.agent.destroy();
  }
}
