/**
 * Which pods a ReplicaSet deletes first when it has too many (upstream's ActivePodsWithRanks).
 * Earlier in this order means deleted sooner:
 *   1. unassigned before assigned to a node;
 *   2. Pending before Unknown before Running;
 *   3. not ready before ready;
 *   4. lower controller.kubernetes.io/pod-deletion-cost first;
 *   5. more related pods on the same node first (doubled-up pods);
 *   6. both ready: ready for less time first (log2 buckets of age, then uid);
 *   7. more container restarts first (regular containers, then restartable init containers);
 *   8. newer before older (log2 buckets of age, then uid).
 */
import { isPodActive, isPodReady, podReadyTime } from "./pods";

type Obj = Record<string, any>;

const DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost";
const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Obj): number {
  const raw = pod.metadata?.annotations?.[DELETION_COST_ANNOTATION];
  if (typeof raw !== "string" || !/^[+-]?\d+$/.test(raw.trim())) return 0;
  const n = Number.parseInt(raw, 10);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

function maxRestarts(pod: Obj): { regular: number; sidecar: number } {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c: Obj) => c.restartPolicy === "Always").map((c: Obj) => c.name));
  let sidecar = 0;
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return { regular, sidecar };
}

function time(s: string | undefined): number {
  if (!s) return 0;
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : t;
}

/** Upstream compares ages in nanoseconds, bucketed by floor(log2). */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/**
 * Negative when `a` should be deleted before `b` by time `ta`/`tb` (0 = unknown): unknown
 * first, then the later time; with a known `now`, times in the same log2 age bucket fall back
 * to the uid.
 */
function compareTimes(a: Obj, ta: number, b: Obj, tb: number, now: number): number {
  if (!ta || !tb) return ta === tb ? 0 : !ta ? -1 : 1;
  const diff = logRank(ta, now) - logRank(tb, now);
  if (diff !== 0) return diff;
  const ua = String(a.metadata?.uid ?? "");
  const ub = String(b.metadata?.uid ?? "");
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

interface Ranked {
  pod: Obj;
  rank: number;
}

function compareRanked(x: Ranked, y: Ranked, now: number): number {
  const a = x.pod;
  const b = y.pod;
  const na = a.spec?.nodeName ?? "";
  const nb = b.spec?.nodeName ?? "";
  if (na !== nb && (!na || !nb)) return !na ? -1 : 1;
  const pa = PHASE_ORDINAL[a.status?.phase] ?? 0;
  const pb = PHASE_ORDINAL[b.status?.phase] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a);
  const rb = isPodReady(b);
  if (ra !== rb) return !ra ? -1 : 1;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca - cb;
  if (x.rank !== y.rank) return y.rank - x.rank;
  if (ra && rb) {
    const ta = podReadyTime(a);
    const tb = podReadyTime(b);
    if (ta !== tb) {
      const c = compareTimes(a, ta, b, tb, now);
      if (c !== 0) return c;
    }
  }
  const ma = maxRestarts(a);
  const mb = maxRestarts(b);
  if (ma.regular !== mb.regular) return mb.regular - ma.regular;
  if (ma.sidecar !== mb.sidecar) return mb.sidecar - ma.sidecar;
  const ta = time(a.metadata?.creationTimestamp);
  const tb = time(b.metadata?.creationTimestamp);
  if (ta !== tb) return compareTimes(a, ta, b, tb, now);
  return 0;
}

/**
 * The `count` pods to delete, best candidates first. `related` are the active pods of every
 * ReplicaSet with the same controller (the ReplicaSet's own included): a pod sharing its node
 * with more of them is a better candidate, which spreads the survivors across nodes.
 * @example podsToDelete([running, pending], [], 1, now) // [pending]
 */
export function podsToDelete(pods: readonly Obj[], related: readonly Obj[], count: number, now: number): Obj[] {
  if (count >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? "";
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const ranked: Ranked[] = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? "") ?? 0 }));
  ranked.sort((x, y) => compareRanked(x, y, now));
  return ranked.slice(0, count).map((r) => r.pod);
}
