import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { RelayRequestError, startRelay, type LogRequest, type Relay, type RelayHandlers } from "../../agent/relay/relay-client";
import { kubectlWith, startFlotilla, type KubectlResult, type Started } from "./harness";

const ROOT = resolve(__dirname, "../..");
const NODE = "relay-e2e";

const MANIFESTS = `
apiVersion: v1
kind: Node
metadata:
  name: ${NODE}
---
apiVersion: v1
kind: Pod
metadata:
  name: echo
  namespace: default
spec:
  nodeName: ${NODE}
  containers:
  - name: main
    image: busybox:local
---
apiVersion: v1
kind: Pod
metadata:
  name: duo
  namespace: default
spec:
  nodeName: ${NODE}
  containers:
  - name: a
    image: busybox:local
  - name: b
    image: busybox:local
`;

let server: Started;
let work: string;
let admin: ReturnType<typeof kubectlWith>;
let caPem: string;
let credential: string;
let relay: Relay | undefined;
let connected = false;
const seen: LogRequest[] = [];
const cancelled: LogRequest[] = [];

/** kubectl without blocking this process, which also runs the agent that has to answer it. */
function kubectl(args: string[]): Promise<KubectlResult> {
  return new Promise((done) => {
    const child = spawn("kubectl", args, { env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: join(work, "home") } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** Waits `ms`, or less when `signal` aborts. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
  });

/** A stand-in for the agent's log reader: echoes the request, and for -f ticks every 200 ms until cancelled. */
const handlers: RelayHandlers = {
  async logs(req, out, signal) {
    seen.push(req);
    if (req.previous && req.container === "b") throw new RelayRequestError(400, `previous terminated container "b" in pod "${req.pod}" not found`);
    const f = (v: unknown) => (v === undefined ? "-" : String(v));
    await out.write(`pod=${req.pod} container=${req.container} tail=${f(req.tailLines)} timestamps=${req.timestamps} previous=${req.previous} since=${f(req.sinceSeconds)} limit=${f(req.limitBytes)}\n`);
    if (!req.follow) return;
    try {
      for (let i = 1; !signal.aborted; i++) {
        await sleep(200, signal);
        if (!signal.aborted) await out.write(`tick ${i}\n`);
      }
    } finally {
      if (signal.aborted) cancelled.push(req);
    }
  },
};

function connectAgent(): Relay {
  return startRelay({ server: `https://127.0.0.1:${server.port}`, caPem, token: () => credential, nodeName: NODE, handlers, onState: (s) => (connected = s === "connected"), log: () => {} });
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** POSTs a NodeCredentialRequest with a bootstrap token, as a joining machine does. */
function requestCredential(token: string): Promise<any> {
  const body = JSON.stringify({ apiVersion: "flotilla.dev/v1", kind: "NodeCredentialRequest", spec: { nodeName: NODE } });
  return new Promise((done, fail) => {
    const req = request(
      new URL("/apis/flotilla.dev/v1/nodecredentialrequests", `https://127.0.0.1:${server.port}`),
      { method: "POST", ca: caPem, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => (res.statusCode === 201 ? done(JSON.parse(text)) : fail(new Error(`${res.statusCode}: ${text}`))));
      },
    );
    req.on("error", fail);
    req.end(body);
  });
}

beforeAll(async () => {
  server = await startFlotilla();
  work = mkdtempSync(join(tmpdir(), "flotilla-relay-"));
  admin = kubectlWith(server.kubeconfig, join(work, "home"));
  caPem = Buffer.from(parse(readFileSync(server.kubeconfig, "utf8")).clusters[0].cluster["certificate-authority-data"], "base64").toString("utf8");
  const applied = admin(["apply", "-f", "-"], MANIFESTS);
  expect(applied.code, applied.stderr).toBe(0);
  const created = spawnSync("npx", ["flotilla", "token", "create", "--ttl", "10m"], { cwd: ROOT, env: { ...process.env, KUBECONFIG: server.kubeconfig }, encoding: "utf8" });
  const bootstrap = /--token (\S+)/.exec(created.stdout)?.[1];
  expect(bootstrap, created.stderr).toBeDefined();
  credential = (await requestCredential(bootstrap!)).status.token;
  relay = connectAgent();
  await until(() => connected);
});

afterAll(async () => {
  await relay?.stop();
  await server?.stop();
});

describe("kubectl logs through the relay", () => {
  it("reaches the node's agent and prints what it sends", async () => {
    const r = await kubectl(["logs", "echo"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("pod=echo container=main tail=- timestamps=false previous=false since=- limit=-\n");
    expect(seen.at(-1)).toMatchObject({ namespace: "default", pod: "echo", container: "main", follow: false });
    expect(seen.at(-1)!.podUid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("passes -c, --tail, --timestamps, --since and --limit-bytes through", async () => {
    const r = await kubectl(["logs", "duo", "-c", "b", "--tail=3", "--timestamps", "--since=10s", "--limit-bytes=100"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("pod=duo container=b tail=3 timestamps=true previous=false since=10 limit=100\n");
    const defaulted = await kubectl(["logs", "duo"]);
    expect(defaulted.stdout).toContain("container=a");
    expect(defaulted.stderr).toContain('Defaulted container "a" out of: a, b');
  });

  it("passes --previous through, and the node's refusal back as kubectl's error", async () => {
    const ok = await kubectl(["logs", "duo", "-c", "a", "--previous"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("container=a tail=- timestamps=false previous=true");
    const refused = await kubectl(["logs", "duo", "-c", "b", "-p"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Error from server (BadRequest): previous terminated container "b" in pod "duo" not found');
    const unknown = await kubectl(["logs", "duo", "-c", "zzz"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("container zzz is not valid for pod duo");
  });

  it("streams -f as lines come, and cancels the node's stream when kubectl is killed", async () => {
    const before = cancelled.length;
    const child = spawn("kubectl", ["logs", "-f", "echo"], { env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: join(work, "home") } });
    const arrivals: { line: string; at: number }[] = [];
    let partial = "";
    child.stdout.on("data", (d) => {
      partial += d;
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const line of lines) arrivals.push({ line, at: Date.now() });
    });
    try {
      await until(() => arrivals.length >= 5, 20_000);
      expect(arrivals[0].line).toContain("pod=echo container=main");
      expect(arrivals.slice(1, 5).map((a) => a.line)).toEqual(["tick 1", "tick 2", "tick 3", "tick 4"]);
      // Lines show up as the node writes them, not all at the end.
      expect(arrivals[4].at - arrivals[1].at).toBeGreaterThanOrEqual(450);
      expect(cancelled.length).toBe(before);
    } finally {
      child.kill("SIGKILL");
    }
    await until(() => cancelled.length > before, 10_000);
    expect(cancelled.at(-1)).toMatchObject({ pod: "echo", follow: true });
  });

  it("answers 503 while the agent is away, and works again once it reconnects", async () => {
    await relay!.stop();
    relay = undefined;
    expect(connected).toBe(false);
    const away = await kubectl(["logs", "echo"]);
    expect(away.code).toBe(1);
    expect(away.stderr).toContain(`Error from server (ServiceUnavailable): node "${NODE}" is not connected: its agent has no relay connection to the control plane`);
    relay = connectAgent();
    await until(() => connected);
    const back = await kubectl(["logs", "echo"]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain("pod=echo container=main");
  });
});
