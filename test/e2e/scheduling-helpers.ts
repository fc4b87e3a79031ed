import type { KubectlResult } from "./harness";

type Obj = Record<string, any>;

/** One row of `kubectl get pods -o wide`. */
export interface PodRow {
  name: string;
  ready: string;
  status: string;
  node: string;
}

/** Parses `kubectl get pods -o wide --no-headers` (node "<none>" while pending). */
export function podRows(out: string): PodRow[] {
  return out
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const c = l.trim().split(/\s+/);
      return { name: c[0], ready: c[1], status: c[2], node: c[6] };
    });
}

/** One row of `kubectl get nodes --no-headers`: name and STATUS (e.g. "Ready,SchedulingDisabled"). */
export function nodeRows(out: string): { name: string; status: string }[] {
  return out
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const [name, status] = l.trim().split(/\s+/);
      return { name, status };
    });
}

/** How many rows sit on each node. */
export function perNode(rows: PodRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.node] = (out[r.node] ?? 0) + 1;
  return out;
}

/** A Deployment (as JSON, which kubectl apply reads) of pods labelled app=<name> with this pod spec. */
export function deploymentOf(name: string, replicas: number, podSpec: Obj): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
    },
  });
}

/** A Deployment (as JSON) whose pods run `app` with `podSpec` merged in. */
export function deploymentJson(name: string, replicas: number, podSpec: Obj = {}, container: Obj = {}): string {
  return deploymentOf(name, replicas, { terminationGracePeriodSeconds: 5, containers: [{ name: "app", image: "busybox:1.36", ...container }], ...podSpec });
}

/** A bare Pod (as JSON) labelled app=<name>. */
export function podJson(name: string, podSpec: Obj = {}, container: Obj = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: name } },
    spec: { terminationGracePeriodSeconds: 5, containers: [{ name: "app", image: "busybox:1.36", ...container }], ...podSpec },
  });
}

/** Throws with kubectl's stderr unless it exited 0; returns stdout. */
export function okOrThrow(args: string[], r: KubectlResult): string {
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
