/**
 * `npm run bench:controllers`: the controllers as `npm start` runs them (Miniflare, HTTPS) with
 * simulated nodes that bind pods and report them Ready at once. Measures the time from creating a
 * Deployment to all its replicas available (100 and 1,000 replicas) and a full rolling update of
 * 1,000 replicas, with the alarm runs and the requests spent on each. Prints figures only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCluster, type LocalCluster } from "../cli/local-cluster";
import { KubeClient, readKubeconfig } from "../test/sim/kube-client";
import { startSimNodes, type SimNodes } from "../test/sim/sim-nodes";
import { table } from "./report";
import { waitForDeployment } from "./deployment-wait";

const NODES = 10;
/** No phase may take longer than this; a timed-out phase is reported as such. */
const PHASE_TIMEOUT_MS = 240_000;
const NS = "bench";

interface StoreStats {
  revision: number;
  alarmRuns: number;
  queue: number;
}

interface Phase {
  name: string;
  replicas: number;
  ms: number | null;
  alarmRuns: number;
  requests: number;
  simRequests: number;
  writes: number;
}

function deployment(name: string, replicas: number): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "busybox:1.36" }] } },
    },
  };
}

/** The store's own counters, over RPC to the cluster's Durable Object. */
async function storeStats(cluster: LocalCluster): Promise<StoreStats> {
  const ns = await cluster.miniflare.getDurableObjectNamespace("CLUSTER");
  const stub = ns.get(ns.idFromName("default")) as unknown as { stats(): Promise<StoreStats> };
  return stub.stats();
}

/** Runs one phase: `start` makes the change, then waits until the deployment is complete. */
async function phase(name: string, replicas: number, deps: { cluster: LocalCluster; kube: KubeClient; sim: SimNodes }, start: () => Promise<void>, deployName: string): Promise<Phase> {
  const before = await storeStats(deps.cluster);
  const reqBefore = deps.kube.requests;
  const simBefore = deps.sim.stats.requests;
  const t0 = performance.now();
  await start();
  const done = await waitForDeployment(deps.kube, NS, deployName, replicas, PHASE_TIMEOUT_MS);
  const ms = done ? performance.now() - t0 : null;
  const after = await storeStats(deps.cluster);
  const simRequests = deps.sim.stats.requests - simBefore;
  const p: Phase = {
    name,
    replicas,
    ms,
    alarmRuns: after.alarmRuns - before.alarmRuns,
    requests: deps.kube.requests - reqBefore + simRequests,
    simRequests,
    writes: after.revision - before.revision,
  };
  process.stderr.write(`  ${name}: ${ms === null ? "timed out" : `${Math.round(ms)} ms`}, ${p.alarmRuns} alarm runs, ${p.requests} requests\n`);
  return p;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "flotilla-bench-controllers-"));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    while (stops.length) await stops.pop()!().catch((e) => process.stderr.write(`stop: ${e}\n`));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));
  process.once("SIGTERM", () => void stopAll().finally(() => process.exit(143)));
  try {
    const cluster = await startLocalCluster({ dir, port: 0, ephemeral: true });
    stops.push(() => cluster.stop());
    const kube = new KubeClient({ ...readKubeconfig(cluster.kubeconfigPath), concurrency: 4 });
    stops.push(async () => kube.close());
    const sim = await startSimNodes({ kubeconfig: cluster.kubeconfigPath, nodes: NODES, concurrency: 16 });
    stops.push(() => sim.stop());
    await kube.send("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    const deps = { cluster, kube, sim };
    const create = (name: string, n: number) => async () => {
      const r = await kube.send("POST", `/apis/apps/v1/namespaces/${NS}/deployments`, deployment(name, n));
      if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    const phases: Phase[] = [];
    phases.push(await phase("create, 100 replicas", 100, deps, create("d100", 100), "d100"));
    phases.push(await phase("create, 1,000 replicas", 1000, deps, create("d1000", 1000), "d1000"));
    const roll = async () => {
      const patch = { spec: { template: { spec: { containers: [{ name: "app", image: "busybox:1.37" }] } } } };
      const r = await kube.send("PATCH", `/apis/apps/v1/namespaces/${NS}/deployments/d1000`, patch, "application/strategic-merge-patch+json");
      if (r.status !== 200) throw new Error(`update d1000: ${r.status} ${JSON.stringify(r.body)}`);
    };
    phases.push(await phase("rolling update, 1,000 replicas", 1000, deps, roll, "d1000"));

    const fmt = (n: number | null) => (n === null ? "timeout" : n.toLocaleString("en-US", { maximumFractionDigits: 0 }));
    process.stdout.write(`\nControllers with ${NODES} simulated nodes (pods Ready as soon as bound), ${cpus().length} cores\n\n`);
    process.stdout.write(
      table(
        ["phase", "time to all available (ms)", "alarm runs", "DO requests (harness + sim)", "of which sim", "store writes"],
        phases.map((p) => [p.name, fmt(p.ms), fmt(p.alarmRuns), fmt(p.requests), fmt(p.simRequests), fmt(p.writes)]),
        1,
      ) + "\n",
    );
    process.stdout.write(`\n${JSON.stringify({ bench: "controllers", nodes: NODES, phases })}\n`);
  } finally {
    await stopAll();
  }
}

main().catch((e) => {
  process.stderr.write(`bench:controllers: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
