/**
 * The node agent's pod start latency and memory: `npm run bench:agent` (needs root and a running
 * containerd). Starts the control plane and one agent joined through `flotilla join`, then
 * measures create → Running (seen through a watch) for pods with a local image, one at a time and
 * as a burst, next to what a bare `ctr run -d` costs on the same machine, and the agent's RSS.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type KubeClient, watchEvents } from "../test/sim/kube-client";
import { startBenchNode, waitFor } from "./node-kit";
import { table } from "./report";
import { percentile, round, sleep } from "./stats";

const NODE = "bench-agent";
const NAMESPACE = "flotilla-bench-agent";
const PODS = 20;
const IMAGE = "busybox:local";

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

function podBody(name: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { bench: "agent" } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: IMAGE, command: ["sleep", "3600"] }] },
  };
}

/** Resolves with the time each named pod was first seen Running through one watch. */
function runningTimes(kube: KubeClient, signal: AbortSignal): Map<string, number> {
  const seen = new Map<string, number>();
  void (async () => {
    const res = await kube.stream("/api/v1/namespaces/default/pods?watch=1&labelSelector=bench%3Dagent", signal);
    try {
      for await (const e of watchEvents(res)) {
        const name = e.object.metadata?.name;
        if (e.object.status?.phase === "Running" && !seen.has(name)) seen.set(name, performance.now());
      }
    } catch {
      // aborted at the end
    }
  })();
  return seen;
}

async function deleteAll(kube: KubeClient): Promise<void> {
  await kube.send("DELETE", "/api/v1/namespaces/default/pods?labelSelector=bench%3Dagent&gracePeriodSeconds=0");
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const { body } = await kube.send("GET", "/api/v1/namespaces/default/pods?labelSelector=bench%3Dagent");
    if (body.items.length === 0) return;
    await sleep(200);
  }
}

function bareCtrRuns(n: number): number[] {
  const ms: number[] = [];
  const logDir = mkdtempSync(join(tmpdir(), "bench-ctr-"));
  for (let i = 0; i < n; i++) {
    const id = `bench-bare-${i}`;
    const t0 = performance.now();
    const r = spawnSync("ctr", ["-n", NAMESPACE, "run", "-d", "--log-uri", `file://${logDir}/${id}.log`, `docker.io/library/${IMAGE}`, id, "sleep", "3600"]);
    ms.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`ctr run failed: ${r.stderr}`);
  }
  for (let i = 0; i < n; i++) {
    spawnSync("ctr", ["-n", NAMESPACE, "task", "kill", "-s", "SIGKILL", `bench-bare-${i}`]);
  }
  spawnSync("sleep", ["0.5"]);
  for (let i = 0; i < n; i++) {
    spawnSync("ctr", ["-n", NAMESPACE, "task", "rm", "-f", `bench-bare-${i}`]);
    spawnSync("ctr", ["-n", NAMESPACE, "container", "rm", `bench-bare-${i}`]);
  }
  rmSync(logDir, { recursive: true, force: true });
  return ms;
}

async function main(): Promise<void> {
  const bench = await startBenchNode(NODE, NAMESPACE);
  const { kube } = bench;
  const agentPid = bench.agent.pid!;
  const joinMs = bench.joinMs;
  const abort = new AbortController();
  try {
    await sleep(5_000);
    const rssIdle = rssMiB(agentPid);

    const seen = runningTimes(kube, abort.signal);
    await sleep(300);
    const sequential: number[] = [];
    for (let i = 0; i < PODS; i++) {
      const name = `seq-${i}`;
      const t0 = performance.now();
      const r = await kube.send("POST", "/api/v1/namespaces/default/pods", podBody(name));
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      await waitFor(() => seen.has(name), 60_000, `${name} Running`);
      sequential.push(seen.get(name)! - t0);
    }
    await sleep(2_000);
    const rss20 = rssMiB(agentPid);
    await deleteAll(kube);

    const created = new Map<string, number>();
    const burstStart = performance.now();
    await Promise.all(
      Array.from({ length: PODS }, async (_, i) => {
        const name = `burst-${i}`;
        created.set(name, performance.now());
        const r = await kube.send("POST", "/api/v1/namespaces/default/pods", podBody(name));
        if (r.status !== 201) throw new Error(`create ${name}: ${r.status}`);
      }),
    );
    await waitFor(() => [...created.keys()].every((n) => seen.has(n)), 120_000, "the burst Running");
    const burst = [...created].map(([n, t]) => seen.get(n)! - t);
    const burstTotal = Math.max(...[...created.keys()].map((n) => seen.get(n)!)) - burstStart;
    const rssPeak = rssMiB(agentPid);
    await deleteAll(kube);

    const bare = bareCtrRuns(PODS);
    const p = (xs: number[], q: number) => round(percentile(xs, q));
    console.log(`\nnode agent: ${PODS} pods with a local image (${IMAGE}), one node, this machine`);
    console.log(table(
      ["figure", "p50 ms", "p99 ms", "max ms"],
      [
        ["create → Running (watch), one at a time", p(sequential, 0.5), p(sequential, 0.99), round(Math.max(...sequential))],
        [`create → Running (watch), burst of ${PODS}`, p(burst, 0.5), p(burst, 0.99), round(Math.max(...burst))],
        ["bare `ctr run -d` (no network, no API)", p(bare, 0.5), p(bare, 0.99), round(Math.max(...bare))],
        ["overhead over bare ctr, one at a time", round(p(sequential, 0.5) - p(bare, 0.5)), round(p(sequential, 0.99) - p(bare, 0.99)), ""],
      ],
    ));
    console.log(`burst of ${PODS}: all Running ${round(burstTotal)} ms after the first create`);
    console.log(`join → node registered: ${round(joinMs)} ms`);
    console.log(table(["agent RSS", "MiB"], [["idle (node joined, no pods)", round(rssIdle)], [`${PODS} pods running`, round(rss20)], [`after a burst of ${PODS}`, round(rssPeak)]]));
    console.log("goals: p50 ≤ 1,500 ms end to end; overhead over bare ctr ≤ 500 ms; RSS ≤ 80 MiB");
  } finally {
    abort.abort();
    await bench.stop();
  }
}

await main();
