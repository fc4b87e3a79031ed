import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { relayUrl, startRelay, type Relay, type RelayHandlers } from "../../agent/relay/relay-client";
import { decodeControl, decodeData, encodeControl, PING, PONG, RELAY_SUBPROTOCOL, type ControlMessage, type LogRequest } from "../../src/relay/protocol";

const request: LogRequest = { namespace: "default", pod: "web", podUid: "u1", container: "app", follow: false, previous: false, timestamps: false };

interface Connection {
  ws: WebSocket;
  path: string;
  auth: string;
  received: (ControlMessage | { data: string })[];
}

/** A stand-in relay: a plain WebSocket server that records who connects and what they send. */
async function fakeRelay(opts: { answerPings?: boolean; refuseWith?: number } = {}) {
  const connections: Connection[] = [];
  let attempts = 0;
  const wss = new WebSocketServer({
    port: 0,
    host: "127.0.0.1",
    handleProtocols: (protocols) => (protocols.has(RELAY_SUBPROTOCOL) ? RELAY_SUBPROTOCOL : false),
    verifyClient: (_info, cb) => {
      attempts++;
      if (opts.refuseWith) cb(false, opts.refuseWith);
      else cb(true);
    },
  });
  await new Promise((r) => wss.once("listening", r));
  wss.on("connection", (ws, req) => {
    const c: Connection = { ws, path: req.url ?? "", auth: req.headers.authorization ?? "", received: [] };
    connections.push(c);
    ws.on("message", (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        const d = decodeData(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
        c.received.push({ data: new TextDecoder().decode(d?.payload) });
        return;
      }
      if (buf.toString() === PING) {
        if (opts.answerPings !== false) ws.send(PONG);
        return;
      }
      c.received.push(decodeControl(buf.toString())!);
    });
  });
  return {
    url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    connections,
    attempts: () => attempts,
    close: () => new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    }),
  };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const echo: RelayHandlers = {
  async logs(req, out) {
    await out.write(`${req.pod}/${req.container}\n`);
  },
};

let relay: Relay | undefined;
let server: Awaited<ReturnType<typeof fakeRelay>> | undefined;

afterEach(async () => {
  await relay?.stop();
  await server?.close();
  relay = undefined;
  server = undefined;
});

describe("relayUrl", () => {
  it("derives the WebSocket address from the API server's", () => {
    expect(relayUrl("https://10.0.0.1:8787", "n1")).toBe("wss://10.0.0.1:8787/flotilla/v1/nodes/n1/relay");
    expect(relayUrl("https://cp.example.com/base/", "n1")).toBe("wss://cp.example.com/base/flotilla/v1/nodes/n1/relay");
    expect(relayUrl("http://127.0.0.1:1", "a.b")).toBe("ws://127.0.0.1:1/flotilla/v1/nodes/a.b/relay");
  });
});

describe("startRelay", () => {
  it("dials the node's relay with its credential and serves requests", async () => {
    server = await fakeRelay();
    const states: string[] = [];
    relay = startRelay({ server: server.url, token: () => "cred-1", nodeName: "n1", handlers: echo, onState: (s) => states.push(s), log: () => {} });
    await until(() => server!.connections.length === 1);
    const c = server.connections[0];
    expect(c.path).toBe("/flotilla/v1/nodes/n1/relay");
    expect(c.auth).toBe("Bearer cred-1");
    c.ws.send(encodeControl({ t: "open", id: 9, kind: "logs", request, window: 1 << 16 }));
    await until(() => c.received.length === 3);
    expect(c.received).toEqual([{ t: "accept", id: 9 }, { data: "web/app\n" }, { t: "end", id: 9 }]);
    expect(states).toEqual(["connected"]);
  });

  it("reconnects after the connection drops, with a fresh token, and aborts what was running", async () => {
    server = await fakeRelay();
    let n = 0;
    let aborted = false;
    const states: string[] = [];
    relay = startRelay({
      server: server.url,
      token: () => `cred-${++n}`,
      nodeName: "n1",
      random: () => 0,
      initialDelayMs: 20,
      handlers: {
        logs: (_req, _out, signal) =>
          new Promise((resolve) =>
            signal.addEventListener("abort", () => {
              aborted = true;
              resolve();
            }),
          ),
      },
      onState: (s) => states.push(s),
      log: () => {},
    });
    await until(() => server!.connections.length === 1);
    server.connections[0].ws.send(encodeControl({ t: "open", id: 1, kind: "logs", request, window: 100 }));
    await new Promise((r) => setTimeout(r, 20));
    server.connections[0].ws.terminate();
    await until(() => server!.connections.length === 2 && states.length === 3);
    expect(aborted).toBe(true);
    expect(server.connections[1].auth).toBe("Bearer cred-2");
    expect(states).toEqual(["connected", "disconnected", "connected"]);
  });

  it("keeps retrying a control plane that refuses it, backing off", async () => {
    server = await fakeRelay({ refuseWith: 401 });
    const lines: string[] = [];
    relay = startRelay({ server: server.url, token: () => "bad", nodeName: "n1", random: () => 0, initialDelayMs: 20, maxDelayMs: 80, handlers: echo, log: (l) => lines.push(l) });
    const started = Date.now();
    await until(() => server!.attempts() >= 4);
    // 20 + 40 + 80 ms of back-off at the least before the fourth attempt.
    expect(Date.now() - started).toBeGreaterThanOrEqual(130);
    expect(lines).toContain("the control plane refused the relay connection: HTTP 401");
    expect(lines.join("\n")).not.toContain("bad");
  });

  it("drops a connection whose relay stopped answering pings, and dials again", async () => {
    server = await fakeRelay({ answerPings: false });
    relay = startRelay({ server: server.url, token: () => "t", nodeName: "n1", random: () => 0, initialDelayMs: 10, pingIntervalMs: 30, handlers: echo, log: () => {} });
    await until(() => server!.connections.length >= 2, 2000);
  });

  it("stays up on a healthy but quiet relay", async () => {
    server = await fakeRelay();
    relay = startRelay({ server: server.url, token: () => "t", nodeName: "n1", pingIntervalMs: 40, handlers: echo, log: () => {} });
    await until(() => server!.connections.length === 1);
    await new Promise((r) => setTimeout(r, 400));
    expect(server.connections).toHaveLength(1);
  });

  it("survives junk from the relay", async () => {
    server = await fakeRelay();
    relay = startRelay({ server: server.url, token: () => "t", nodeName: "n1", handlers: echo, log: () => {} });
    await until(() => server!.connections.length === 1);
    const c = server.connections[0];
    c.ws.send("not json at all");
    c.ws.send(Buffer.from([1, 2, 3]));
    c.ws.send(encodeControl({ t: "credit", id: 404, bytes: 1 }));
    c.ws.send(encodeControl({ t: "open", id: 2, kind: "logs", request, window: 1024 }));
    await until(() => c.received.some((m) => "t" in m && m.t === "end"));
    expect(server.connections).toHaveLength(1);
  });

  it("waits the longest delay when a newer connection of its node took over", async () => {
    server = await fakeRelay();
    relay = startRelay({ server: server.url, token: () => "t", nodeName: "n1", random: () => 0, initialDelayMs: 10, maxDelayMs: 300, handlers: echo, log: () => {} });
    await until(() => server!.connections.length === 1);
    const closedAt = Date.now();
    server.connections[0].ws.close(4000, "replaced by a newer connection of this node");
    await until(() => server!.connections.length === 2);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(250);
  });

  it("stops for good", async () => {
    server = await fakeRelay();
    const r = startRelay({ server: server.url, token: () => "t", nodeName: "n1", initialDelayMs: 10, handlers: echo, log: () => {} });
    await until(() => server!.connections.length === 1);
    await r.stop();
    await new Promise((res) => setTimeout(res, 100));
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0].ws.readyState).toBe(server.connections[0].ws.CLOSED);
  });
});
