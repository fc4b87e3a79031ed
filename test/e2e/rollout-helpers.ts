import { spawn } from "node:child_process";
import type { KubeClient } from "../sim/kube-client";
import type { KubectlResult } from "./harness";

type Obj = Record<string, any>;

/**
 * Runs the real kubectl without blocking the event loop (the simulated nodes live in this
 * process and must keep answering while `rollout status` waits).
 */
export function kubectlAsync(kubeconfig: string, home: string) {
  return (args: string[], input?: string, timeoutMs = 150_000): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const p = spawn("kubectl", args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home } });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      p.stdin.end(input ?? "");
    });
}

/** Polls `fn` until `ok` holds or `ms` pass; returns the last value either way. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    v = await fn();
  }
  return v;
}

/** A Deployment manifest with one container `app`, RollingUpdate maxSurge/maxUnavailable 1. */
export function deploymentYaml(name: string, image: string, opts: { replicas?: number; cause?: string; namespace?: string; progressDeadlineSeconds?: number } = {}): string {
  const lines = [
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    `  name: ${name}`,
    ...(opts.namespace ? [`  namespace: ${opts.namespace}`] : []),
    ...(opts.cause ? ["  annotations:", `    kubernetes.io/change-cause: "${opts.cause}"`] : []),
    "spec:",
    `  replicas: ${opts.replicas ?? 4}`,
    ...(opts.progressDeadlineSeconds ? [`  progressDeadlineSeconds: ${opts.progressDeadlineSeconds}`] : []),
    "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}",
    `  selector: {matchLabels: {app: ${name}}}`,
    "  template:",
    `    metadata: {labels: {app: ${name}}}`,
    "    spec:",
    "      terminationGracePeriodSeconds: 5",
    `      containers: [{name: app, image: "${image}"}]`,
  ];
  return lines.join("\n") + "\n";
}

/** The pod reports Ready True. */
export function isReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");
}

/** Neither terminal nor being deleted: what a ReplicaSet counts. */
export function isActive(pod: Obj): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}

/** The items of a list, by path (`/api/v1/namespaces/x/pods?labelSelector=...`). */
export async function items(kube: KubeClient, path: string): Promise<Obj[]> {
  const r = await kube.send("GET", path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.items ?? [];
}

export interface StepBounds {
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
}

export interface StepWatch {
  /** Stops polling; resolves with the observations and any bound violated. */
  stop(): Promise<{ observations: number; steps: string[]; violations: string[] }>;
}

/**
 * Polls a deployment's pods and ReplicaSets and checks the rolling-update bounds at every
 * observation: active pods and the sum of ReplicaSet sizes at most replicas + maxSurge, ready
 * active pods at least replicas − maxUnavailable. Records each distinct (ReplicaSet → size) step.
 */
export function watchSteps(kube: KubeClient, namespace: string, app: string, b: StepBounds, everyMs = 40): StepWatch {
  const sel = encodeURIComponent(`app=${app}`);
  const steps: string[] = [];
  const violations: string[] = [];
  let observations = 0;
  let running = true;
  const observe = async () => {
    const [pods, rss] = await Promise.all([items(kube, `/api/v1/namespaces/${namespace}/pods?labelSelector=${sel}`), items(kube, `/apis/apps/v1/namespaces/${namespace}/replicasets?labelSelector=${sel}`)]);
    observations++;
    const active = pods.filter(isActive);
    const ready = active.filter(isReady).length;
    const sizes = rss.map((rs) => `${rs.metadata.labels["pod-template-hash"]}=${rs.spec.replicas}`).sort().join(",");
    const sum = rss.reduce((n, rs) => n + (rs.spec.replicas ?? 0), 0);
    if (active.length > b.replicas + b.maxSurge) violations.push(`${active.length} active pods (${sizes})`);
    if (sum > b.replicas + b.maxSurge) violations.push(`ReplicaSets sum to ${sum} (${sizes})`);
    if (ready < b.replicas - b.maxUnavailable) violations.push(`only ${ready} ready pods (${sizes})`);
    if (steps[steps.length - 1] !== sizes) steps.push(sizes);
  };
  const loop = (async () => {
    while (running) {
      await observe();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      // One last look, so the final step is the state at stop rather than up to a poll earlier.
      await observe();
      return { observations, steps, violations };
    },
  };
}
