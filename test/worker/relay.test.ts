import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { CHANNEL, decodeControl, encodeControl, encodeData, PING, RELAY_SUBPROTOCOL, type ControlMessage } from "../../src/relay/protocol";
import { bindRole, createStaticUser, must, nodeToken, randomToken } from "./auth-fixtures";
import { ADMIN_TOKEN, api, json } from "./helpers";

const NODE = "relay-n1";
const enc = new TextEncoder();

function connect(node: string, token: string | null, headers: Record<string, string> = { upgrade: "websocket", "sec-websocket-protocol": RELAY_SUBPROTOCOL }): Promise<Response> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const req = new Request(`https://flotilla.test/flotilla/v1/nodes/${node}/relay`, { headers: h });
  return Promise.resolve(worker.fetch(req as Request<unknown, IncomingRequestCfProperties>, env, createExecutionContext()));
}

/** A stand-in agent: the socket plus a queue of the control messages it received. */
interface FakeAgent {
  ws: WebSocket;
  next(): Promise<ControlMessage>;
  closed: Promise<{ code: number; reason: string }>;
}

async function fakeAgent(node = NODE): Promise<FakeAgent> {
  const res = await connect(node, await nodeToken(node));
  expect(res.status).toBe(101);
  expect(res.headers.get("sec-websocket-protocol")).toBe(RELAY_SUBPROTOCOL);
  const ws = res.webSocket!;
  ws.accept();
  const queue: ControlMessage[] = [];
  const waiting: ((m: ControlMessage) => void)[] = [];
  ws.addEventListener("message", (e) => {
    if (typeof e.data !== "string") return;
    const m = decodeControl(e.data)!;
    // Credit is the relay pacing its reader; these tests never fill a window.
    if (m.t === "credit") return;
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.addEventListener("close", (e) => r({ code: e.code, reason: e.reason })));
  return {
    ws,
    closed,
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r))),
  };
}

function pod(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, ...(annotations ? { annotations } : {}) }, spec };
}

const one = { nodeName: NODE, containers: [{ name: "app", image: "busybox:local" }] };

beforeAll(async () => {
  await must("/api/v1/namespaces/default/pods", { body: pod("solo", one) });
  await must("/api/v1/namespaces/default/pods", {
    body: pod("duo", { nodeName: NODE, initContainers: [{ name: "setup", image: "busybox:local" }], containers: [{ name: "a", image: "busybox:local" }, { name: "b", image: "busybox:local" }] }),
  });
  await must("/api/v1/namespaces/default/pods", {
    body: pod("annotated", { nodeName: NODE, containers: [{ name: "a", image: "busybox:local" }, { name: "b", image: "busybox:local" }] }, { "kubectl.kubernetes.io/default-container": "b" }),
  });
  await must("/api/v1/namespaces/default/pods", { body: pod("pending", { containers: [{ name: "app", image: "busybox:local" }] }) });
  await must("/api/v1/namespaces/default/pods", { body: pod("elsewhere", { ...one, nodeName: "relay-n9" }) });
});

describe("the relay endpoint", () => {
  it("lets only the node itself connect", async () => {
    expect((await connect(NODE, null)).status).toBe(401);
    const admin = await connect(NODE, ADMIN_TOKEN);
    expect(admin.status).toBe(403);
    expect(((await admin.json()) as any).message).toBe('forbidden: User "flotilla-admin" cannot connect the relay of node "relay-n1": only the node itself may');
    expect((await connect(NODE, await nodeToken("relay-n2"))).status).toBe(403);
  });

  it("wants a WebSocket that speaks the relay protocol", async () => {
    const token = await nodeToken(NODE);
    const plain = await connect(NODE, token, {});
    expect(plain.status).toBe(400);
    const noProtocol = await connect(NODE, token, { upgrade: "websocket" });
    expect(noProtocol.status).toBe(400);
    expect(((await noProtocol.json()) as any).message).toContain(RELAY_SUBPROTOCOL);
  });
});

describe("GET pods/log before the Worker forwards anything", () => {
  it("answers 503 when the node's agent is not connected", async () => {
    const r = await json("/api/v1/namespaces/default/pods/elsewhere/log");
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ kind: "Status", reason: "ServiceUnavailable", code: 503, message: 'node "relay-n9" is not connected: its agent has no relay connection to the control plane' });
  });

  it("refuses bad options with upstream's 400 and 422", async () => {
    const bad = await json("/api/v1/namespaces/default/pods/solo/log?tailLines=ten");
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('invalid value for tailLines: "ten": must be an integer');
    expect((await json("/api/v1/namespaces/default/pods/solo/log?limitBytes=")).status).toBe(400);
    expect((await json("/api/v1/namespaces/default/pods/solo/log?sinceTime=yesterday")).status).toBe(400);
    const negative = await json("/api/v1/namespaces/default/pods/solo/log?tailLines=-1&limitBytes=0");
    expect(negative.status).toBe(422);
    expect(negative.body.details.causes).toEqual([
      { reason: "FieldValueInvalid", field: "tailLines", message: "Invalid value: -1: must be greater than or equal to 0" },
      { reason: "FieldValueInvalid", field: "limitBytes", message: "Invalid value: 0: must be greater than 0" },
    ]);
    const both = await json("/api/v1/namespaces/default/pods/solo/log?sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z");
    expect(both.status).toBe(422);
    expect(both.body.details.causes[0].message).toBe("Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified");
    // Options are judged before the pod is looked up, as upstream decodes them first.
    expect((await json("/api/v1/namespaces/default/pods/nope/log?tailLines=x")).status).toBe(400);
  });

  it("answers 404 for a missing pod", async () => {
    const r = await json("/api/v1/namespaces/default/pods/nope/log");
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('pods "nope" not found');
  });

  it("needs a container name where the pod does not make it obvious", async () => {
    const r = await json("/api/v1/namespaces/default/pods/duo/log");
    expect(r.status).toBe(400);
    expect(r.body.message).toBe("a container name must be specified for pod duo, choose one of: [a b] or one of the init containers: [setup]");
    const wrong = await json("/api/v1/namespaces/default/pods/duo/log?container=c");
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toBe("container c is not valid for pod duo");
  });

  it("refuses a pod that is not on a node yet", async () => {
    const r = await json("/api/v1/namespaces/default/pods/pending/log");
    expect(r.status).toBe(400);
    expect(r.body.message).toBe("pod pending does not have a host assigned");
  });

  it("needs get on pods/log, with upstream's 403", async () => {
    const token = randomToken();
    await createStaticUser(token, "podreader");
    await must("/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", {
      body: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "pod-reader" }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] },
    });
    await bindRole("default", "podreader", "pod-reader", { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "podreader" }, "Role");
    expect((await json("/api/v1/namespaces/default/pods/solo", { token })).status).toBe(200);
    const r = await json("/api/v1/namespaces/default/pods/solo/log?tailLines=bad", { token });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('pods "solo" is forbidden: User "podreader" cannot get resource "pods/log" in API group "" in the namespace "default"');
    expect((await json("/api/v1/namespaces/default/pods/nope/log", { token })).status).toBe(403);
  });
});

describe("GET pods/log through a connected agent", () => {
  let agent: FakeAgent;

  beforeAll(async () => {
    agent = await fakeAgent();
  });

  it("answers the agent's keep-alive pings", async () => {
    agent.ws.send(PING);
    expect(await agent.next()).toEqual({ t: "pong" });
  });

  it("forwards the request with the resolved container and streams the agent's bytes", async () => {
    const pending = api("/api/v1/namespaces/default/pods/solo/log?tailLines=5&timestamps=true&previous=1&sinceSeconds=30");
    const open = await agent.next();
    expect(open).toMatchObject({
      t: "open",
      kind: "logs",
      request: { namespace: "default", pod: "solo", container: "app", follow: false, previous: true, timestamps: true, tailLines: 5, sinceSeconds: 30 },
    });
    if (open.t !== "open") throw new Error("expected an open");
    expect(open.request.podUid).toMatch(/^[0-9a-f-]{36}$/);
    agent.ws.send(encodeControl({ t: "accept", id: open.id }));
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-encoding")).toBe("identity");
    // One frame at a time: the test pool's wrapper around the object may reorder messages that
    // arrive together (the runtime itself delivers them in order).
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    agent.ws.send(encodeData(open.id, CHANNEL.stdout, enc.encode("line 1\n")));
    expect(text.decode((await reader.read()).value)).toBe("line 1\n");
    agent.ws.send(encodeData(open.id, CHANNEL.stdout, enc.encode("line 2\n")));
    expect(text.decode((await reader.read()).value)).toBe("line 2\n");
    agent.ws.send(encodeControl({ t: "end", id: open.id }));
    expect((await reader.read()).done).toBe(true);
  });

  it("uses the default-container annotation", async () => {
    const pending = api("/api/v1/namespaces/default/pods/annotated/log");
    const open = await agent.next();
    expect(open).toMatchObject({ t: "open", request: { pod: "annotated", container: "b" } });
    if (open.t !== "open") throw new Error("expected an open");
    agent.ws.send(encodeControl({ t: "end", id: open.id }));
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("turns the agent's refusal into a Status", async () => {
    const pending = json("/api/v1/namespaces/default/pods/duo/log?container=a&previous=true");
    const open = await agent.next();
    if (open.t !== "open") throw new Error("expected an open");
    agent.ws.send(encodeControl({ t: "error", id: open.id, code: 400, message: 'previous terminated container "a" in pod "duo" not found' }));
    const r = await pending;
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: "Status", reason: "BadRequest", message: 'previous terminated container "a" in pod "duo" not found' });
  });

  it("cancels the agent's stream when the client stops reading", async () => {
    const pending = api("/api/v1/namespaces/default/pods/solo/log?follow=true");
    const open = await agent.next();
    if (open.t !== "open") throw new Error("expected an open");
    expect(open.request.follow).toBe(true);
    agent.ws.send(encodeControl({ t: "accept", id: open.id }));
    const res = await pending;
    const reader = res.body!.getReader();
    agent.ws.send(encodeData(open.id, CHANNEL.stdout, enc.encode("first\n")));
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first\n");
    agent.ws.send(encodeData(open.id, CHANNEL.stdout, enc.encode("second\n")));
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("second\n");
    await reader.cancel();
    // The runtime notices a reader that left when it next pushes data, so the node keeps writing.
    agent.ws.send(encodeData(open.id, CHANNEL.stdout, enc.encode("third\n")));
    expect(await agent.next()).toMatchObject({ t: "cancel", id: open.id });
  });

  it("hands the node to a newer connection and ends the old one's streams", async () => {
    const pending = api("/api/v1/namespaces/default/pods/solo/log?follow=true");
    const open = await agent.next();
    if (open.t !== "open") throw new Error("expected an open");
    agent.ws.send(encodeControl({ t: "accept", id: open.id }));
    const res = await pending;
    const reader = res.body!.getReader();
    const newer = await fakeAgent();
    expect(await agent.closed).toMatchObject({ code: 4000 });
    expect((await reader.read()).done).toBe(true);
    const next = api("/api/v1/namespaces/default/pods/solo/log");
    const reopened = await newer.next();
    if (reopened.t !== "open") throw new Error("expected an open");
    newer.ws.send(encodeControl({ t: "accept", id: reopened.id }));
    const body = (await next).body!.getReader();
    newer.ws.send(encodeData(reopened.id, CHANNEL.stdout, enc.encode("from the new agent\n")));
    expect(new TextDecoder().decode((await body.read()).value)).toBe("from the new agent\n");
    newer.ws.send(encodeControl({ t: "end", id: reopened.id }));
    expect((await body.read()).done).toBe(true);
    newer.ws.close(1000, "done");
  });

  it("answers 503 again once the agent hung up", async () => {
    const gone = await fakeAgent("relay-n9");
    gone.ws.close(1000, "bye");
    const r = await json("/api/v1/namespaces/default/pods/elsewhere/log");
    expect(r.status).toBe(503);
    expect(r.body.reason).toBe("ServiceUnavailable");
  });
});
