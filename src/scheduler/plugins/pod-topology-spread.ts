/**
 * PodTopologySpread: DoNotSchedule constraints filter nodes on maxSkew (and minDomains);
 * ScheduleAnyway constraints score them. Pods without constraints get the system defaults
 * (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) when Services or a controller select them.
 * nodeAffinityPolicy defaults to Honor and nodeTaintsPolicy to Ignore.
 */
import { labelSelectorFromObject, type LabelSelector } from "../../lib/selectors";
import { Code, MAX_NODE_SCORE, SKIP, status, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin, type Status } from "../framework";
import { podMatchesNodeSelectorAndAffinity } from "./node-affinity";
import { findUntoleratedTaint } from "./taint-toleration";

type Obj = Record<string, any>;

export const name = "PodTopologySpread";
export const WEIGHT = 2;
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;
export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_ZONE = "topology.kubernetes.io/zone";

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  nodeAffinityPolicy: "Honor" | "Ignore";
  nodeTaintsPolicy: "Honor" | "Ignore";
}

/** Upstream's system default constraints (applied with ScheduleAnyway). */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly { topologyKey: string; maxSkew: number }[] = [
  { topologyKey: LABEL_HOSTNAME, maxSkew: 3 },
  { topologyKey: LABEL_ZONE, maxSkew: 5 },
];

const NOTHING: LabelSelector = { matches: () => false, empty: false, toString: () => "" };

/** The pod's constraints with this whenUnsatisfiable, matchLabelKeys folded into the selector. */
export function constraintsOf(pod: Obj, action: "DoNotSchedule" | "ScheduleAnyway"): Constraint[] {
  const labels: Record<string, string> = pod.metadata?.labels ?? {};
  const out: Constraint[] = [];
  for (const c of pod.spec?.topologySpreadConstraints ?? []) {
    if ((c.whenUnsatisfiable ?? "DoNotSchedule") !== action) continue;
    let selector = NOTHING;
    if (c.labelSelector) {
      const extra = (c.matchLabelKeys ?? []).filter((k: string) => labels[k] !== undefined).map((k: string) => ({ key: k, operator: "In", values: [labels[k]] }));
      const sel = extra.length ? { ...c.labelSelector, matchExpressions: [...(c.labelSelector.matchExpressions ?? []), ...extra] } : c.labelSelector;
      try {
        selector = labelSelectorFromObject(sel);
      } catch {
        selector = NOTHING;
      }
    }
    out.push({
      maxSkew: Number(c.maxSkew ?? 1),
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ? Number(c.minDomains) : 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy === "Ignore" ? "Ignore" : "Honor",
      nodeTaintsPolicy: c.nodeTaintsPolicy === "Honor" ? "Honor" : "Ignore",
    });
  }
  return out;
}

/** Whether the node counts for the constraint's domains, under its affinity and taint policies. */
export function nodeInclusion(c: Constraint, pod: Obj, ni: NodeInfo): boolean {
  if (!ni.node) return false;
  if (c.nodeAffinityPolicy === "Honor" && !podMatchesNodeSelectorAndAffinity(pod, ni.node, ni.labels)) return false;
  if (c.nodeTaintsPolicy === "Honor" && findUntoleratedTaint(ni.taints, pod.spec?.tolerations, ["NoSchedule", "NoExecute"])) return false;
  return true;
}

export function nodeHasAllKeys(cs: readonly Constraint[], labels: Record<string, string>): boolean {
  return cs.every((c) => labels[c.topologyKey] !== undefined);
}

/** Pods on the node in the pod's namespace, not terminating, that the selector matches. */
export function countPodsMatchSelector(pods: readonly PodInfo[], selector: LabelSelector, namespace: string): number {
  // An empty selector counts nothing (upstream's rule, not "everything").
  if (selector.empty || selector === NOTHING) return 0;
  let n = 0;
  for (const p of pods) {
    if (p.terminating || p.namespace !== namespace) continue;
    if (selector.matches(p.labels)) n++;
  }
  return n;
}

const pair = (k: string, v: string) => `${k}\u0000${v}`;

// ----- filter -----

export interface PreFilterState {
  constraints: Constraint[];
  /** Matching pods per "key\0value" domain, over eligible nodes. */
  pairCounts: Map<string, number>;
  /** The smallest count per topology key. */
  minMatch: Map<string, number>;
  /** Number of domains per topology key. */
  domains: Map<string, number>;
}

export function computeFilterState(pod: PodInfo, constraints: Constraint[], nodes: readonly NodeInfo[]): PreFilterState {
  const pairCounts = new Map<string, number>();
  for (const ni of nodes) {
    if (!ni.node || !nodeHasAllKeys(constraints, ni.labels)) continue;
    for (const c of constraints) {
      if (!nodeInclusion(c, pod.pod, ni)) continue;
      const k = pair(c.topologyKey, ni.labels[c.topologyKey]);
      pairCounts.set(k, (pairCounts.get(k) ?? 0) + countPodsMatchSelector(ni.pods, c.selector, pod.namespace));
    }
  }
  const minMatch = new Map<string, number>();
  const domains = new Map<string, number>();
  for (const [k, n] of pairCounts) {
    const key = k.slice(0, k.indexOf("\u0000"));
    domains.set(key, (domains.get(key) ?? 0) + 1);
    minMatch.set(key, Math.min(minMatch.get(key) ?? Infinity, n));
  }
  return { constraints, pairCounts, minMatch, domains };
}

/**
 * The skew placing the pod on a node in domain `value` would give: matching pods there, plus the
 * pod itself when it matches, minus the global minimum (taken as 0 while there are fewer
 * domains than minDomains).
 */
export function skewFor(pod: PodInfo, st: PreFilterState, c: Constraint, value: string): number {
  const self = c.selector.matches(pod.labels) ? 1 : 0;
  let min = st.minMatch.get(c.topologyKey) ?? 0;
  if ((st.domains.get(c.topologyKey) ?? 0) < c.minDomains) min = 0;
  const matchNum = st.pairCounts.get(pair(c.topologyKey, value)) ?? 0;
  return matchNum + self - min;
}

const PRE_FILTER = `${name}/preFilter`;
const PRE_SCORE = `${name}/preScore`;

export function preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): null | typeof SKIP {
  const cs = constraintsOf(pod.pod, "DoNotSchedule");
  if (!cs.length) return SKIP;
  state.write(PRE_FILTER, computeFilterState(pod, cs, nodes));
  return null;
}

export function filter(state: CycleState, pod: PodInfo, ni: NodeInfo): Status | null {
  const st = state.read<PreFilterState>(PRE_FILTER);
  if (!st || !st.constraints.length) return null;
  for (const c of st.constraints) {
    const v = ni.labels[c.topologyKey];
    if (v === undefined) return status(Code.UnschedulableAndUnresolvable, name, ERR_REASON_NODE_LABEL_NOT_MATCH);
    if (skewFor(pod, st, c, v) > c.maxSkew) return status(Code.Unschedulable, name, ERR_REASON_CONSTRAINTS_NOT_MATCH);
  }
  return null;
}

// ----- score -----

export interface PreScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  pairCounts: Map<string, number>;
  weights: number[];
}

/** ScheduleAnyway constraints: the pod's own, or the system defaults for a pod with none at all. */
export function scoringConstraints(pod: Obj, defaultSelector?: LabelSelector): { constraints: Constraint[]; requireAllTopologies: boolean } {
  if ((pod.spec?.topologySpreadConstraints ?? []).length) return { constraints: constraintsOf(pod, "ScheduleAnyway"), requireAllTopologies: true };
  if (!defaultSelector || defaultSelector.empty) return { constraints: [], requireAllTopologies: false };
  return {
    constraints: SYSTEM_DEFAULT_CONSTRAINTS.map((d) => ({ ...d, selector: defaultSelector, minDomains: 1, nodeAffinityPolicy: "Honor" as const, nodeTaintsPolicy: "Ignore" as const })),
    requireAllTopologies: false,
  };
}

export function computeScoreState(pod: PodInfo, cs: Constraint[], requireAll: boolean, filtered: readonly NodeInfo[], all: readonly NodeInfo[]): PreScoreState {
  const ignored = new Set<string>();
  const pairCounts = new Map<string, number>();
  const values = cs.map(() => new Set<string>());
  for (const ni of filtered) {
    if (requireAll && !nodeHasAllKeys(cs, ni.labels)) {
      ignored.add(ni.name);
      continue;
    }
    cs.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME) return;
      const v = ni.labels[c.topologyKey];
      if (v === undefined) return;
      pairCounts.set(pair(c.topologyKey, v), 0);
      values[i].add(v);
    });
  }
  const weights = cs.map((c, i) => {
    const n = c.topologyKey === LABEL_HOSTNAME ? filtered.length - ignored.size : values[i].size;
    return Math.log(n + 2);
  });
  for (const ni of all) {
    if (!ni.node) continue;
    if (requireAll && !nodeHasAllKeys(cs, ni.labels)) continue;
    for (const c of cs) {
      if (c.topologyKey === LABEL_HOSTNAME) continue;
      const v = ni.labels[c.topologyKey];
      if (v === undefined) continue;
      const k = pair(c.topologyKey, v);
      if (!pairCounts.has(k)) continue;
      if (!nodeInclusion(c, pod.pod, ni)) continue;
      pairCounts.set(k, pairCounts.get(k)! + countPodsMatchSelector(ni.pods, c.selector, pod.namespace));
    }
  }
  return { constraints: cs, ignored, pairCounts, weights };
}

export function preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], all: readonly NodeInfo[]): null | typeof SKIP {
  const { constraints, requireAllTopologies } = scoringConstraints(pod.pod, state.env.defaultSpreadSelector?.(pod.pod));
  if (!constraints.length) return SKIP;
  state.write(PRE_SCORE, computeScoreState(pod, constraints, requireAllTopologies, nodes, all));
  return null;
}

export function score(state: CycleState, pod: PodInfo, ni: NodeInfo): number {
  const st = state.read<PreScoreState>(PRE_SCORE);
  if (!st || st.ignored.has(ni.name)) return 0;
  let s = 0;
  st.constraints.forEach((c, i) => {
    const v = ni.labels[c.topologyKey];
    if (v === undefined) return;
    const cnt = c.topologyKey === LABEL_HOSTNAME ? countPodsMatchSelector(ni.pods, c.selector, pod.namespace) : (st.pairCounts.get(pair(c.topologyKey, v)) ?? 0);
    s += cnt * st.weights[i] + (c.maxSkew - 1);
  });
  return Math.round(s);
}

/** Fewer matching pods score higher: 100 * (max + min - s) / max over the non-ignored nodes. */
export function normalize(state: CycleState, _pod: PodInfo, scores: number[], nodes: readonly NodeInfo[]): void {
  const st = state.read<PreScoreState>(PRE_SCORE);
  if (!st) return;
  let min = Infinity;
  let max = 0;
  nodes.forEach((ni, i) => {
    if (st.ignored.has(ni.name)) return;
    if (scores[i] < min) min = scores[i];
    if (scores[i] > max) max = scores[i];
  });
  nodes.forEach((ni, i) => {
    if (st.ignored.has(ni.name)) scores[i] = 0;
    else if (max === 0) scores[i] = MAX_NODE_SCORE;
    else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i])) / max);
  });
}

export function plugin(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return { name, preFilter, filter, preScore, score, normalize };
}
