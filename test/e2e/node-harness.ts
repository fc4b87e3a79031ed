import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { get } from "node:http";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { caCertHash } from "../../agent/join/ca-pin";
import { ensureBusyboxImage } from "../agent/image";
import { cleanUpNode } from "../agent/node-cleanup";
import { startFlotilla, type Started } from "./harness";
import { eventually, kubectlAsync } from "./rollout-helpers";
import { okOrThrow } from "./scheduling-helpers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface AgentProcess {
  name: string;
  namespace: string;
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** Stops the agent with a signal and waits for its exit (SIGKILL = a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A cluster from `npm start` plus real agents joined through `flotilla join`. */
export interface NodeCluster {
  server: Started;
  kubectl: ReturnType<typeof kubectlAsync>;
  ok(args: string[], input?: string): Promise<string>;
  json(args: string[]): Promise<any>;
  token: string;
  caHash: string;
  url: string;
  agents: AgentProcess[];
  startAgent(name: string, extra?: string[]): Promise<AgentProcess>;
  /** Waits until `kubectl get pod` JSON satisfies `ok`. */
  podUntil(name: string, ok: (pod: any) => boolean, ms?: number, namespace?: string): Promise<any>;
}

/** A bootstrap token Secret the admin creates, as `flotilla token create` stores one. */
function bootstrapTokenSecret(id: string, secret: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
    type: "bootstrap.kubernetes.io/token",
    stringData: { "token-id": id, "token-secret": secret, "usage-bootstrap-authentication": "true", expiration: new Date(Date.now() + 3_600_000).toISOString() },
  });
}

function randomLower(n: number): string {
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(n)].map((b) => chars[b % chars.length]).join("");
}

export function nodeCluster(env: Record<string, string> = {}): NodeCluster {
  const c: NodeCluster = {
    server: undefined as unknown as Started,
    kubectl: undefined as unknown as ReturnType<typeof kubectlAsync>,
    token: "",
    caHash: "",
    url: "",
    agents: [],
    async ok(args, input) {
      return okOrThrow(args, await c.kubectl(args, input));
    },
    async json(args) {
      return JSON.parse(await c.ok([...args, "-o", "json"]));
    },
    async startAgent(name, extra = []) {
      const namespace = `flotilla-e2e-${name}`;
      const dataDir = mkdtempSync(join(tmpdir(), `flotilla-agent-${name}-`));
      await ensureBusyboxImage(namespace);
      return launchAgent(c, name, namespace, dataDir, extra);
    },
    async podUntil(name, ok, ms = 60_000, namespace = "default") {
      return eventually(() => c.json(["get", "pod", name, "-n", namespace]).catch(() => undefined), (p) => p !== undefined && ok(p), ms, 300);
    },
  };
  beforeAll(async () => {
    c.server = await startFlotilla(undefined, undefined, env);
    c.kubectl = kubectlAsync(c.server.kubeconfig, mkdtempSync(join(tmpdir(), "flotilla-node-e2e-")));
    const id = randomLower(6);
    const secret = randomLower(16);
    await c.ok(["apply", "-f", "-"], bootstrapTokenSecret(id, secret));
    c.token = `${id}.${secret}`;
    c.caHash = caCertHash(readFileSync(join(c.server.dir, "pki", "ca.crt"), "utf8"));
    c.url = `https://127.0.0.1:${c.server.port}`;
  });
  afterAll(async () => {
    for (const a of c.agents) await a.stop("SIGTERM").catch(() => undefined);
    for (const a of c.agents) await cleanUpNode(a.name, a.namespace, a.dataDir);
    await c.server?.stop();
  });
  return c;
}

/** Runs `flotilla join` for a node (again, for a restart, with the same data folder). */
export async function launchAgent(c: NodeCluster, name: string, namespace: string, dataDir: string, extra: string[] = []): Promise<AgentProcess> {
  const args = ["--max-semi-space-size=2", join(ROOT, "bin/flotilla.mjs"), "join", "--server", c.url, "--token", c.token, "--ca-cert-hash", c.caHash, "--name", name, "--data-dir", dataDir, "--containerd-namespace", namespace, ...extra];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const agent: AgentProcess = {
    name,
    namespace,
    dataDir,
    proc,
    output: () => out,
    stop: (signal = "SIGTERM") =>
      new Promise((res) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return res();
        proc.once("exit", () => res());
        proc.kill(signal);
      }),
  };
  const existing = c.agents.findIndex((a) => a.name === name);
  if (existing >= 0) c.agents[existing] = agent;
  else c.agents.push(agent);
  await eventually(
    () => c.json(["get", "node", name]).catch(() => undefined),
    (n) => {
      if (proc.exitCode !== null) throw new Error(`agent ${name} exited:\n${out}`);
      return n?.status?.conditions?.some((x: any) => x.type === "Ready" && x.status === "True") && !!n.spec?.podCIDR;
    },
    60_000,
    300,
  );
  return agent;
}

/** containerd's view of a namespace: container ids and the running tasks. */
export function ctrState(namespace: string): { containers: string[]; running: string[] } {
  const cs = spawnSync("ctr", ["-n", namespace, "containers", "ls", "-q"], { encoding: "utf8" }).stdout.trim();
  const ts = spawnSync("ctr", ["-n", namespace, "tasks", "ls"], { encoding: "utf8" }).stdout.trim().split("\n").slice(1);
  return {
    containers: cs ? cs.split("\n").sort() : [],
    running: ts.filter((l) => /\bRUNNING\b/.test(l)).map((l) => l.split(/\s+/)[0]).sort(),
  };
}

export function netnsList(): string[] {
  return spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout.split("\n").map((l) => l.split(" ")[0]).filter(Boolean);
}

/** A plain HTTP GET from the test machine (pod IPs and node ports are reachable from the host). */
export function httpGetText(url: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((res, rej) => {
    const req = get(url, { timeout: timeoutMs }, (r) => {
      let body = "";
      r.on("data", (d) => (body += d));
      r.on("end", () => res(body));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", rej);
  });
}
