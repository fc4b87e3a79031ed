/**
 * The httpGet, tcpSocket and grpc probe handlers against real local servers, with real timers,
 * and one ContainerProbes run end to end.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createHttp2Server, type Http2Server } from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerProbes, type ProbeState, type ProbeTarget } from "../../agent/pods/probes";
import { runProbeHandler } from "../../agent/pods/probes-handler";

const realTimers = { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
const target: ProbeTarget = { podIP: () => "127.0.0.1", exec: async () => ({ code: 0, stdout: "", stderr: "" }) };
const container = { name: "web", ports: [{ name: "http", containerPort: 0 }] };
const run = (probe: any, timeoutMs = 1_000) => runProbeHandler(probe, { container, target, timers: realTimers, timeoutMs });

let dir: string;
let http: Server;
let https: Server;
let grpc: Http2Server;
let httpPort: number;
let httpsPort: number;
let grpcPort: number;
let closedPort: number;
let lastHeaders: IncomingHttpHeaders = {};
const hanging = new Set<import("node:http").ServerResponse>();

function listen(server: Server | Http2Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function routes(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse): void {
  lastHeaders = req.headers;
  const path = req.url ?? "/";
  if (path === "/ok" || path === "/ok?x=1") res.end("fine");
  else if (path === "/fail") res.writeHead(503).end("the body must not show");
  else if (path === "/same-host") res.writeHead(302, { location: "/ok" }).end();
  else if (path === "/other-host") res.writeHead(302, { location: `http://localhost:${httpPort}/ok` }).end("moved");
  else if (path === "/loop") res.writeHead(307, { location: "/loop" }).end();
  else if (path === "/hang") hanging.add(res);
  else res.writeHead(404).end();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flotilla-probes-"));
  http = createHttpServer(routes);
  httpPort = await listen(http);
  container.ports[0].containerPort = httpPort;

  await promisify(execFile)("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=probe-test", "-days", "1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]);
  https = createHttpsServer({ key: await readFile(join(dir, "key.pem")), cert: await readFile(join(dir, "cert.pem")) }, routes);
  httpsPort = await listen(https);

  grpc = createHttp2Server();
  grpc.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      if (headers[":path"] !== "/grpc.health.v1.Health/Check") {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "unknown%20service" }, { endStream: true });
        return;
      }
      const msg = Buffer.concat(chunks).subarray(5);
      const service = msg.length ? msg.subarray(2).toString() : "";
      const status = service === "" ? 1 : service === "down" ? 2 : undefined;
      if (status === undefined) {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "unknown service" }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      const body = Buffer.from([0x08, status]);
      const head = Buffer.alloc(5);
      head.writeUInt32BE(body.length, 1);
      stream.end(Buffer.concat([head, body]));
    });
  });
  grpcPort = await listen(grpc);

  const spare = createTcpServer();
  closedPort = await listen(spare as unknown as Server);
  await new Promise((r) => spare.close(r));
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  for (const s of [http, https, grpc]) {
    if (!s) continue;
    (s as Server).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("httpGet", () => {
  it("is healthy on 2xx and sends the kubelet's headers plus the user's", async () => {
    const out = await run({ httpGet: { path: "/ok?x=1", port: "http", httpHeaders: [{ name: "X-Probe", value: "yes" }, { name: "Host", value: "app.example" }] } });
    expect(out).toEqual({ result: "success", output: "fine" });
    expect(lastHeaders["user-agent"]).toBe("kube-probe/1.32");
    expect(lastHeaders.accept).toBe("*/*");
    expect(lastHeaders["x-probe"]).toBe("yes");
    expect(lastHeaders.host).toBe("app.example");
  });

  it("fails on other status codes without quoting the body", async () => {
    expect(await run({ httpGet: { path: "/fail", port: httpPort } })).toEqual({ result: "failure", output: "HTTP probe failed with statuscode: 503" });
  });

  it("follows redirects on the same host, not to another host", async () => {
    expect(await run({ httpGet: { path: "/same-host", port: httpPort } })).toEqual({ result: "success", output: "fine" });
    expect(await run({ httpGet: { path: "/other-host", port: httpPort } })).toEqual({ result: "warning", output: "Probe terminated redirects, Response body: moved" });
  });

  it("gives up after 10 redirects", async () => {
    expect(await run({ httpGet: { path: "/loop", port: httpPort } })).toEqual({ result: "failure", output: `Get "http://127.0.0.1:${httpPort}/loop": stopped after 10 redirects` });
  });

  it("reports a refused connection as the kubelet does", async () => {
    expect(await run({ httpGet: { path: "/", port: closedPort } })).toEqual({
      result: "failure",
      output: `Get "http://127.0.0.1:${closedPort}/": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });

  it("fails a server that does not answer within the timeout", async () => {
    const began = performance.now();
    const out = await run({ httpGet: { path: "/hang", port: httpPort } }, 500);
    expect(out).toEqual({ result: "failure", output: `Get "http://127.0.0.1:${httpPort}/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    expect(performance.now() - began).toBeGreaterThanOrEqual(450);
  });

  it("speaks HTTPS without checking the certificate", async () => {
    expect(await run({ httpGet: { scheme: "HTTPS", path: "/ok", port: httpsPort } })).toEqual({ result: "success", output: "fine" });
  });
});

describe("tcpSocket", () => {
  it("is healthy when the port accepts a connection", async () => {
    expect(await run({ tcpSocket: { port: httpPort } })).toEqual({ result: "success", output: "" });
  });

  it("fails on a closed port", async () => {
    expect(await run({ tcpSocket: { port: closedPort, host: "127.0.0.1" } })).toEqual({ result: "failure", output: `dial tcp 127.0.0.1:${closedPort}: connect: connection refused` });
  });
});

describe("grpc", () => {
  it("is healthy when the health service answers SERVING", async () => {
    expect(await run({ grpc: { port: grpcPort } })).toEqual({ result: "success", output: "service healthy" });
  });

  it("fails on NOT_SERVING and on rpc errors", async () => {
    expect(await run({ grpc: { port: grpcPort, service: "down" } })).toEqual({ result: "failure", output: 'service unhealthy (responded with "NOT_SERVING")' });
    expect(await run({ grpc: { port: grpcPort, service: "other" } })).toEqual({ result: "failure", output: "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service" });
  });

  it("fails when nothing listens", async () => {
    expect(await run({ grpc: { port: closedPort } })).toEqual({
      result: "failure",
      output: `error: failed to connect service at "127.0.0.1:${closedPort}": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    });
  });
});

describe("ContainerProbes with real timers", () => {
  it("becomes ready on an HTTP endpoint and restarts on a dead TCP port", async () => {
    const changes: ProbeState[] = [];
    const unhealthy: string[] = [];
    let failure: string | undefined;
    const failed = new Promise<void>((resolve) => {
      const probes = new ContainerProbes(
        { name: "web", readinessProbe: { httpGet: { path: "/ok", port: httpPort }, periodSeconds: 1 }, livenessProbe: { tcpSocket: { port: closedPort }, periodSeconds: 1, failureThreshold: 2 } },
        target,
        {
          onChange: (s) => changes.push(s),
          onFailure: (kind, message) => {
            failure = `${kind}: ${message}`;
            probes.stop();
            resolve();
          },
          onUnhealthy: (_kind, message) => unhealthy.push(message),
        },
      );
      probes.start();
    });
    await failed;
    expect(changes).toEqual([
      { started: true, ready: false },
      { started: true, ready: true },
    ]);
    expect(failure).toBe(`liveness: Liveness probe failed: dial tcp 127.0.0.1:${closedPort}: connect: connection refused`);
    expect(unhealthy).toEqual([`Liveness probe failed: dial tcp 127.0.0.1:${closedPort}: connect: connection refused`, `Liveness probe failed: dial tcp 127.0.0.1:${closedPort}: connect: connection refused`]);
  });
});
