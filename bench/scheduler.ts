/**
 * `npm run bench:scheduler`: the scheduler as `npm start` runs it (Miniflare, HTTPS), with plain
 * Node objects registered through the API (Ready, with allocatable, one Lease each and a long
 * node monitor grace so no heartbeats are needed). Cases: 100 nodes / 1,000 pods and 1,000 nodes
 * / 10,000 pods, each without and with constraints (a zone topology spread and a preferred pod
 * anti-affinity). Two figures per case:
 *
 * (a) end to end: bare Pods created 32 at a time, each binding seen on a pod watch. Pods/s,
 *     per-pod latency (create sent → binding seen) p50/p99, and the cost per 1,000 pods: HTTP
 *     requests, alarm runs, store writes and scheduler reconciles. Every create is one request
 *     into the same single-threaded object the scheduler runs in, so this figure is bounded by
 *     how fast pods can be created, not by the scheduler.
 * (b) the scheduler alone: every node is first filled by a blocker pod (bound at creation, all
 *     of the node's cpu, no grace period) in namespaces of their own; the pods are created and
 *     each is found unschedulable once; then the blockers' namespaces are deleted (one request
 *     each, sent together) and the time runs from those requests to the last binding seen. The
 *     backlog is drained by the alarm alone, with no creates competing for the object. A GET
 *     sent every 50 ms meanwhile shows how long API requests wait behind the alarm runs.
 *
 * A case that runs out of its time budget reports what it scheduled by then. Prints figures only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalCluster, type LocalCluster } from "../cli/local-cluster";
import { KubeClient, readKubeconfig } from "../test/sim/kube-client";
import { table } from "./report";
import { benchPod, CONCURRENCY, createNamespace, listRevision, must, NODE_RESOURCES, nodeName, pool, registerNodes, sendRetrying, storeStats, waitUntil, watchPods } from "./scheduler-kit";
import { percentile } from "./stats";

type Obj = Record<string, any>;

/** A 1,000-node case may take this long (creation and binding together); smaller ones less. */
const BUDGET_MS = { 100: 90_000, 1000: 150_000 } as Record<number, number>;

interface CaseResult {
  name: string;
  nodes: number;
  pods: number;
  created: number;
  scheduled: number;
  timedOut: boolean;
  seconds: number;
  podsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requestsPer1k: number;
  alarmRunsPer1k: number;
  writesPer1k: number;
  schedulerReconcilesPer1k: number;
}

interface ReleaseResult {
  name: string;
  nodes: number;
  pods: number;
  /** Pods found unschedulable while the blockers stood (all of them, when the setup went well). */
  waiting: number;
  scheduled: number;
  timedOut: boolean;
  /** From the release request to the last binding seen. */
  seconds: number;
  podsPerSecond: number;
  /** When the first binding was seen, after the release request. */
  firstMs: number;
  /** Nodes that received at least one pod. */
  nodesUsed: number;
  /** Latency of a GET sent every PROBE_EVERY_MS while the backlog drains: what API callers wait. */
  apiP50Ms: number;
  apiP99Ms: number;
  /** Probes that failed or timed out (30 s). */
  apiFailures: number;
  alarmRunsPer1k: number;
  writesPer1k: number;
  schedulerReconcilesPer1k: number;
}

function caseName(nodes: number, pods: number, constrained: boolean): string {
  return `${nodes} nodes / ${pods.toLocaleString("en-US")} pods${constrained ? ", spread + anti-affinity" : ""}`;
}

/**
 * Watches the namespace's pods from `rv` and calls `onBound(name, at)` the first time each
 * shows a nodeName. Returns a stop function.
 */
function watchBindings(kube: KubeClient, ns: string, rv: string, onBound: (name: string, at: number) => void): () => void {
  const seen = new Set<string>();
  return watchPods(kube, ns, rv, (pod, at) => {
    const name: string = pod.metadata.name;
    if (pod.spec?.nodeName && !seen.has(name)) {
      seen.add(name);
      onBound(name, at);
    }
  });
}

/** One case: create `pods` bare pods in a fresh namespace and wait until all are bound (or the budget ends). */
async function runCase(cluster: LocalCluster, kube: KubeClient, nodes: number, pods: number, constrained: boolean): Promise<CaseResult> {
  const name = caseName(nodes, pods, constrained);
  const ns = `bench-${nodes}-${constrained ? "c" : "p"}`;
  await createNamespace(kube, ns);
  const rv = await listRevision(kube, ns);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let lastBound = 0;
  let allBound: () => void = () => {};
  const done = new Promise<void>((r) => (allBound = r));
  let created = 0;
  let creating = true;
  const early: [string, number][] = [];
  const record = (pod: string, at: number) => {
    const t0 = sentAt.get(pod);
    if (t0 === undefined) return void early.push([pod, at]);
    latencies.push(at - t0);
    lastBound = at;
    if (!creating && latencies.length >= created) allBound();
  };
  const stopWatch = watchBindings(kube, ns, rv, record);

  const before = await storeStats(cluster);
  const reqBefore = kube.requests;
  const start = performance.now();
  const deadline = start + BUDGET_MS[nodes];
  await pool(
    pods,
    CONCURRENCY,
    async (i) => {
      const pod = `p-${i}`;
      sentAt.set(pod, performance.now());
      await must(kube.send("POST", `/api/v1/namespaces/${ns}/pods`, benchPod(pod, ns, constrained)), `create ${pod}`, [201]);
      created++;
    },
    () => performance.now() > deadline,
  );
  creating = false;
  // Bindings seen before their create was recorded (cannot happen with sentAt set first, but be safe).
  for (const [pod, at] of early.splice(0)) record(pod, at);
  const createdAllMs = performance.now() - start;
  if (latencies.length >= created) allBound();
  const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(5_000, deadline - performance.now())));
  const outcome = await Promise.race([done.then(() => "done" as const), timer]);
  stopWatch();
  const after = await storeStats(cluster);
  const scheduled = latencies.length;
  const seconds = ((scheduled ? lastBound : performance.now()) - start) / 1000;
  const per1k = (v: number) => (scheduled ? (v * 1000) / scheduled : NaN);
  const sorted = [...latencies].sort((a, b) => a - b);
  const res: CaseResult = {
    name,
    nodes,
    pods,
    created,
    scheduled,
    timedOut: outcome === "timeout" || created < pods,
    seconds,
    podsPerSecond: scheduled / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
    requestsPer1k: per1k(kube.requests - reqBefore),
    alarmRunsPer1k: per1k(after.alarmRuns - before.alarmRuns),
    writesPer1k: per1k(after.revision - before.revision),
    schedulerReconcilesPer1k: per1k((after.reconciles?.scheduler ?? 0) - (before.reconciles?.scheduler ?? 0)),
  };
  process.stderr.write(
    `  ${name}: ${created} created in ${Math.round(createdAllMs)} ms, ${scheduled} scheduled in ${seconds.toFixed(1)} s${res.timedOut ? " (time budget reached)" : ""}, p50 ${Math.round(res.p50Ms)} ms, p99 ${Math.round(res.p99Ms)} ms\n`,
  );
  return res;
}

/**
 * Blockers per namespace: the namespace controller empties up to 200 objects per pass, and a
 * namespace that takes one pass is emptied before any pod it wakes is tried, so every node is
 * free when scheduling starts (its ServiceAccount and such count too, hence the margin).
 */
const BLOCKERS_PER_NAMESPACE = 190;
const PROBE_EVERY_MS = 50;

/** A pod bound at creation that takes all of `node`'s cpu and goes at once when deleted. */
function blockerPod(name: string, node: string): Obj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: "hold", image: "busybox:1.36", resources: { requests: { cpu: NODE_RESOURCES.cpu } } }] },
  };
}

function isUnschedulable(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
}

/**
 * Figure (b): blockers fill every node, `pods` pods are created and each found unschedulable,
 * then the blockers' namespaces are deleted; times the drain of the backlog.
 */
async function runReleaseCase(cluster: LocalCluster, kube: KubeClient, nodes: number, pods: number, constrained: boolean): Promise<ReleaseResult> {
  const name = caseName(nodes, pods, constrained);
  const ns = `release-${nodes}-${constrained ? "c" : "p"}`;
  const holds = Array.from({ length: Math.ceil(nodes / BLOCKERS_PER_NAMESPACE) }, (_, i) => `${ns}-hold-${i}`);
  await createNamespace(kube, ns);
  for (const hold of holds) await createNamespace(kube, hold);
  const waiting = new Set<string>();
  const bound = new Map<string, { at: number; node: string }>();
  const stopWatch = watchPods(kube, ns, await listRevision(kube, ns), (pod, at) => {
    const podName: string = pod.metadata.name;
    if (pod.spec?.nodeName) {
      if (!bound.has(podName)) bound.set(podName, { at, node: pod.spec.nodeName });
    } else if (isUnschedulable(pod)) waiting.add(podName);
  });
  try {
    const budget = BUDGET_MS[nodes];
    const t0 = performance.now();
    const holdOf = (i: number) => holds[Math.floor(i / BLOCKERS_PER_NAMESPACE)];
    await pool(nodes, CONCURRENCY, async (i) => void (await must(kube.send("POST", `/api/v1/namespaces/${holdOf(i)}/pods`, blockerPod(`hold-${i}`, nodeName(i))), `blocker ${i}`, [201])));
    let created = 0;
    await pool(
      pods,
      CONCURRENCY,
      async (i) => {
        await must(kube.send("POST", `/api/v1/namespaces/${ns}/pods`, benchPod(`p-${i}`, ns, constrained)), `create p-${i}`, [201]);
        created++;
      },
      () => performance.now() - t0 > budget,
    );
    await waitUntil(() => waiting.size + bound.size >= created, budget);
    process.stderr.write(`  ${name}: ${nodes} blockers and ${created} pods created, ${waiting.size} found unschedulable, in ${Math.round(performance.now() - t0)} ms; releasing\n`);
    const boundBefore = bound.size;
    const before = await storeStats(cluster);
    const start = performance.now();
    await Promise.all(holds.map((hold) => must(sendRetrying(kube, "DELETE", `/api/v1/namespaces/${hold}`), `delete namespace ${hold}`)));
    const api: number[] = [];
    let apiFailures = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const t = performance.now();
        try {
          await must(sendRetrying(kube, "GET", "/api/v1/namespaces/default"), "probe");
          api.push(performance.now() - t);
        } catch {
          // A request that timed out (30 s) or failed: the object did not answer in time.
          apiFailures++;
        }
        await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
      }
    })();
    const done = await waitUntil(() => bound.size >= created, budget);
    probing = false;
    await prober;
    const after = await storeStats(cluster);
    const times = [...bound.values()].map((b) => b.at).filter((at) => at >= start);
    const scheduled = times.length;
    const last = scheduled ? Math.max(...times) : performance.now();
    const seconds = (last - start) / 1000;
    const per1k = (v: number) => (scheduled ? (v * 1000) / scheduled : NaN);
    const res: ReleaseResult = {
      name,
      nodes,
      pods,
      waiting: waiting.size,
      scheduled,
      timedOut: !done || created < pods || boundBefore > 0,
      seconds,
      podsPerSecond: scheduled / seconds,
      firstMs: scheduled ? Math.min(...times) - start : NaN,
      nodesUsed: new Set([...bound.values()].map((b) => b.node)).size,
      apiP50Ms: percentile(api, 0.5),
      apiP99Ms: percentile(api, 0.99),
      apiFailures,
      alarmRunsPer1k: per1k(after.alarmRuns - before.alarmRuns),
      writesPer1k: per1k(after.revision - before.revision),
      schedulerReconcilesPer1k: per1k((after.reconciles?.scheduler ?? 0) - (before.reconciles?.scheduler ?? 0)),
    };
    process.stderr.write(`  ${name}: ${scheduled} scheduled in ${seconds.toFixed(1)} s after the release${done ? "" : " (time budget reached)"}, on ${res.nodesUsed} nodes\n`);
    return res;
  } finally {
    stopWatch();
  }
}

async function main(): Promise<void> {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    while (stops.length) await stops.pop()!().catch((e) => process.stderr.write(`stop: ${e}\n`));
  };
  process.once("SIGINT", () => void stopAll().finally(() => process.exit(130)));
  process.once("SIGTERM", () => void stopAll().finally(() => process.exit(143)));
  const only = process.env.BENCH_SCHEDULER_NODES?.split(",").map(Number);
  // "a", "b" or both (the default): which figures to take.
  const figures = process.env.BENCH_SCHEDULER_FIGURES?.split(",") ?? ["a", "b"];
  const results: CaseResult[] = [];
  const released: ReleaseResult[] = [];
  try {
    for (const [nodes, pods] of [
      [100, 1000],
      [1000, 10000],
    ] as const) {
      if (only && !only.includes(nodes)) continue;
      const dir = mkdtempSync(join(tmpdir(), "flotilla-bench-scheduler-"));
      // A long node monitor grace: the nodes register one Lease each and never renew it.
      const cluster = await startLocalCluster({ dir, port: 0, ephemeral: true, bindings: { NODE_MONITOR_GRACE_SECONDS: "3600" } });
      const stopCluster = async () => {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      };
      stops.push(stopCluster);
      const kube = new KubeClient({ ...readKubeconfig(cluster.kubeconfigPath), concurrency: CONCURRENCY });
      const t0 = performance.now();
      await registerNodes(kube, nodes);
      process.stderr.write(`${nodes} nodes registered in ${Math.round(performance.now() - t0)} ms\n`);
      if (figures.includes("a")) for (const constrained of [false, true]) results.push(await runCase(cluster, kube, nodes, pods, constrained));
      if (figures.includes("b")) for (const constrained of [false, true]) released.push(await runReleaseCase(cluster, kube, nodes, pods, constrained));
      kube.close();
      stops.pop();
      await stopCluster();
    }
    const f = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "-");
    process.stdout.write(`\nScheduler (a) end to end: bare pods (100m cpu, 128Mi) created ${CONCURRENCY} at a time, bindings seen through a pod watch, ${cpus().length} cores.\n`);
    process.stdout.write(`Bounded by pod creation: every create is a request into the object the scheduler runs in.\n\n`);
    process.stdout.write(
      table(
        ["case", "scheduled", "secs", "pods/s", "p50 ms", "p99 ms", "max ms", "DO req/1k pods", "alarm runs/1k", "writes/1k", "sched reconciles/1k"],
        results.map((r) => [
          r.name,
          `${f(r.scheduled)}/${f(r.pods)}${r.timedOut ? " (budget)" : ""}`,
          f(r.seconds, 1),
          f(r.podsPerSecond, 1),
          f(r.p50Ms),
          f(r.p99Ms),
          f(r.maxMs),
          f(r.requestsPer1k),
          f(r.alarmRunsPer1k),
          f(r.writesPer1k),
          f(r.schedulerReconcilesPer1k),
        ]),
        1,
      ) + "\n",
    );
    process.stdout.write(`\nScheduler (b) alone: the same pods wait behind blocker pods that fill every node; the blockers' namespaces are deleted\n`);
    process.stdout.write(`(a request each, sent together) and the time runs from there to the last binding seen. No creates compete with the scheduler;\n`);
    process.stdout.write(`deleting the blockers, binding writes, Scheduled events and the watch do (they are part of scheduling a pod here).\n`);
    process.stdout.write(`API p50/p99: a GET sent every ${PROBE_EVERY_MS} ms meanwhile, i.e. how long a request waits behind the alarm runs.\n\n`);
    process.stdout.write(
      table(
        ["case", "waiting", "scheduled", "secs", "pods/s", "first ms", "nodes used", "API p50 ms", "API p99 ms", "API failed", "alarm runs/1k", "writes/1k", "sched reconciles/1k"],
        released.map((r) => [
          r.name,
          f(r.waiting),
          `${f(r.scheduled)}/${f(r.pods)}${r.timedOut ? " (incomplete)" : ""}`,
          f(r.seconds, 1),
          f(r.podsPerSecond, 1),
          f(r.firstMs),
          f(r.nodesUsed),
          f(r.apiP50Ms),
          f(r.apiP99Ms),
          f(r.apiFailures),
          f(r.alarmRunsPer1k, 1),
          f(r.writesPer1k),
          f(r.schedulerReconcilesPer1k),
        ]),
        1,
      ) + "\n",
    );
    process.stdout.write(`\n${JSON.stringify({ bench: "scheduler", cases: results, released })}\n`);
  } finally {
    await stopAll();
  }
}

main().catch((e) => {
  process.stderr.write(`bench:scheduler: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
