import { createServer as createTcpServer } from "node:net";
import type { ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, ApiError, isUnreachable, type WatchEvent } from "../../agent/api/client";
import { makeTestPki, sendJson, startTestServer, type TestPki, type TestServer } from "./agent-api-tls-fixture";

let pki: TestPki;
let server: TestServer;
/** Watch answers by test: the handler looks the script up by the request's `script` query. */
const streams = new Map<string, (res: ServerResponse) => void>();

beforeAll(async () => {
  pki = makeTestPki();
  server = await startTestServer(`${pki.leafPem}${pki.caPem}`, pki.leafKeyPem, (req, res, body) => {
    const url = new URL(req.url ?? "/", "https://x");
    if (url.pathname === "/api/v1/nodes/n1") return sendJson(res, 200, { kind: "Node", metadata: { name: "n1" }, echo: { method: req.method, body: body ? JSON.parse(body) : null } });
    if (url.pathname === "/api/v1/nodes/missing") return sendJson(res, 404, { kind: "Status", apiVersion: "v1", status: "Failure", message: 'nodes "missing" not found', reason: "NotFound", details: { name: "missing", kind: "nodes" }, code: 404 });
    if (url.pathname === "/bad-gateway") {
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html>bad gateway</html>");
    }
    if (url.pathname === "/slow") return; // never answers
    if (url.pathname === "/api/v1/pods" && url.searchParams.get("watch") === "1") return streams.get(url.searchParams.get("script") ?? "")?.(res);
    sendJson(res, 200, { path: url.pathname, query: Object.fromEntries(url.searchParams) });
  });
});

afterAll(async () => {
  await server?.close();
});

const client = (extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {}) => new ApiClient({ server: server.url, token: "t0k3n", caPem: pki.caPem, ...extra });

describe("ApiClient requests", () => {
  it("sends JSON with the bearer token, trusting the given CA, and parses the answer", async () => {
    let n = 0;
    const c = client({ token: () => `rotating-${++n}` });
    try {
      const got = await c.get("/api/v1/pods", { fieldSelector: "spec.nodeName=n1", limit: 5, skipped: undefined });
      expect(got).toEqual({ path: "/api/v1/pods", query: { fieldSelector: "spec.nodeName=n1", limit: "5" } });
      await c.get("/api/v1/namespaces");
      expect(server.requests.at(-2)?.authorization).toBe("Bearer rotating-1");
      expect(server.requests.at(-1)?.authorization).toBe("Bearer rotating-2");
    } finally {
      c.close();
    }
  });

  it("uses each verb and patch type's method and content type", async () => {
    const c = client();
    try {
      expect((await c.create("/api/v1/nodes/n1", { a: 1 })).echo).toEqual({ method: "POST", body: { a: 1 } });
      expect((await c.replace("/api/v1/nodes/n1", { b: 2 })).echo).toEqual({ method: "PUT", body: { b: 2 } });
      expect((await c.delete("/api/v1/nodes/n1")).echo).toEqual({ method: "DELETE", body: null });
      const types: string[] = [];
      for (const t of ["merge", "strategic", "json"] as const) {
        await c.patch("/api/v1/nodes/n1", {}, t);
        types.push(server.requests.at(-1)?.contentType ?? "");
      }
      expect(types).toEqual(["application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json"]);
    } finally {
      c.close();
    }
  });

  it("turns a Status answer into an ApiError with its reason, message and details", async () => {
    const c = client();
    try {
      const err = await c.get("/api/v1/nodes/missing").catch((e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 404, reason: "NotFound", message: 'nodes "missing" not found', details: { name: "missing", kind: "nodes" } });
      expect(isUnreachable(err)).toBe(false);
      expect(JSON.stringify(err)).not.toContain("t0k3n");
    } finally {
      c.close();
    }
  });

  it("counts a 5xx without a Status as unreachable", async () => {
    const c = client();
    try {
      const err = await c.get("/bad-gateway").catch((e) => e);
      expect(err).toMatchObject({ status: 502, reason: "Unknown", body: "<html>bad gateway</html>" });
      expect(isUnreachable(err)).toBe(true);
    } finally {
      c.close();
    }
  });

  it("refuses a server whose certificate the given CA did not sign, and that is not 'unreachable'", async () => {
    const other = makeTestPki("another-ca");
    const c = client({ caPem: other.caPem });
    try {
      const err = await c.get("/api/v1/namespaces").catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(ApiError);
      expect(isUnreachable(err)).toBe(false);
    } finally {
      c.close();
    }
  });

  it("reports a refused connection and a silent server as unreachable", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createTcpServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const down = new ApiClient({ server: `https://127.0.0.1:${port}`, token: "x", caPem: pki.caPem });
    const slow = client({ timeoutMs: 300 });
    try {
      const refused = await down.get("/version").catch((e) => e);
      expect(refused.code).toBe("ECONNREFUSED");
      expect(isUnreachable(refused)).toBe(true);
      const timedOut = await slow.get("/slow").catch((e) => e);
      expect(timedOut.code).toBe("ETIMEDOUT");
      expect(isUnreachable(timedOut)).toBe(true);
    } finally {
      down.close();
      slow.close();
    }
  });

  it("rejects a server URL that is not https", () => {
    expect(() => new ApiClient({ server: "http://127.0.0.1:1", token: "x" })).toThrow(/https/);
  });
});

describe("ApiClient.watch", () => {
  const ev = (type: string, rv: string) => JSON.stringify({ type, object: { kind: "Pod", metadata: { name: `p${rv}`, resourceVersion: rv } } }) + "\n";

  it("delivers events in order even when chunks split lines, and resolves when the server ends the stream", async () => {
    streams.set("split", (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const text = ev("ADDED", "1") + ev("MODIFIED", "2") + ev("BOOKMARK", "3");
      res.write(text.slice(0, 10));
      setTimeout(() => {
        res.write(text.slice(10, 70));
        setTimeout(() => res.end(text.slice(70)), 20);
      }, 20);
    });
    const c = client();
    const seen: string[] = [];
    try {
      await c.watch("/api/v1/pods", { script: "split", resourceVersion: "0", timeoutSeconds: 5 }, (e: WatchEvent) => seen.push(`${e.type} ${e.object.metadata.resourceVersion}`));
      expect(seen).toEqual(["ADDED 1", "MODIFIED 2", "BOOKMARK 3"]);
      const sent = new URL(server.requests.at(-1)!.url, "https://x").searchParams;
      expect(sent.get("watch")).toBe("1");
      expect(sent.get("timeoutSeconds")).toBe("5");
    } finally {
      c.close();
    }
  });

  it("rejects with ApiError 410 Expired on an ERROR event, after the events before it", async () => {
    streams.set("expired", (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(ev("ADDED", "7"));
      res.write(JSON.stringify({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", status: "Failure", message: "too old resource version: 1 (7)", reason: "Expired", code: 410 } }) + "\n");
    });
    const c = client();
    const seen: string[] = [];
    try {
      const err = await c.watch("/api/v1/pods", { script: "expired" }, (e) => seen.push(e.type)).catch((e) => e);
      expect(seen).toEqual(["ADDED"]);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 410, reason: "Expired", message: "too old resource version: 1 (7)" });
    } finally {
      c.close();
    }
  });

  it("resolves when its signal aborts and rejects when the connection breaks", async () => {
    streams.set("open", (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(ev("ADDED", "1"));
    });
    streams.set("broken", (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(ev("ADDED", "1"));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const c = client();
    try {
      const abort = new AbortController();
      const seen: string[] = [];
      const watching = c.watch("/api/v1/pods", { script: "open" }, (e) => {
        seen.push(e.type);
        abort.abort();
      }, abort.signal);
      await expect(watching).resolves.toBeUndefined();
      expect(seen).toEqual(["ADDED"]);
      const err = await c.watch("/api/v1/pods", { script: "broken" }, () => undefined).catch((e) => e);
      expect(isUnreachable(err)).toBe(true);
    } finally {
      c.close();
    }
  });
});
