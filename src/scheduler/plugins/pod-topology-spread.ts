/**
 * PodTopologySpread: DoNotSchedule constraints filter nodes on maxSkew (and minDomains);
 * ScheduleAnyway constraints score them. Pods without constraints get the system defaults
 * (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) when Services or a controller select them.
 * nodeAffinityPolicy defaults to Honor and nodeTaintsPolicy to Ignore.
 */
import { labelSelectorFromObject, type LabelSelector } from "../../lib/selectors";
import { Code, MAX_NODE_SCORE, SKIP, status, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin, type Status } from "../framework";
import { podCounter, selectorKey, type PodCounter } from "../pod-counter";
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
  if (c.nodeAffinityPolicy === "Honor" && restrictsNodes(pod) && !podMatchesNodeSelectorAndAffinity(pod, ni.node, ni.labels)) return false;
  if (c.nodeTaintsPolicy === "Honor" && ni.taints.length && findUntoleratedTaint(ni.taints, pod.spec?.tolerations, ["NoSchedule", "NoExecute"])) return false;
  return true;
}

/** Whether the pod has a nodeSelector or required node affinity at all (most pods have neither). */
function restrictsNodes(pod: Obj): boolean {
  const spec = pod.spec;
  if (!spec) return false;
  if (spec.nodeSelector && Object.keys(spec.nodeSelector).length) return true;
  return spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined;
}

export function nodeHasAllKeys(cs: readonly Constraint[], labels: Record<string, string>): boolean {
  for (let i = 0; i < cs.length; i++) if (labels[cs[i].topologyKey] === undefined) return false;
  return true;
}

/**
 * The counter of pods a constraint counts: in the pod's namespace, not terminating, matched by
 * the selector. None for an empty or nil selector, which counts nothing (upstream's rule, not
 * "everything").
 */
export function spreadCounter(selector: LabelSelector, namespace: string): PodCounter | undefined {
  if (selector.empty || selector === NOTHING) return undefined;
  return podCounter(`${name}\u0000${namespace}\u0000${selectorKey(selector)}`, (p) => !p.terminating && p.namespace === namespace && selector.matches(p.labels));
}

/** How many pods on the node the counter matches (0 without a counter). */
export function countOn(ni: NodeInfo, counter: PodCounter | undefined): number {
  return counter ? ni.countMatching(counter) : 0;
}

// ----- filter -----

export interface PreFilterState {
  constraints: Constraint[];
  /** Per constraint: matching pods per domain (topology value), over eligible nodes. */
  counts: Map<string, number>[];
  /** Per constraint: the global minimum the skew is taken from (0 while domains < minDomains). */
  min: number[];
  /** Per constraint: 1 when the incoming pod itself matches the selector. */
  self: number[];
}

export function computeFilterState(pod: PodInfo, constraints: Constraint[], nodes: readonly NodeInfo[]): PreFilterState {
  const counters = constraints.map((c) => spreadCounter(c.selector, pod.namespace));
  const counts = constraints.map(() => new Map<string, number>());
  // Most pods name no nodes and most constraints ignore taints: then every node with the keys counts.
  const restricts = restrictsNodes(pod.pod);
  const everyNode = constraints.every((c) => (c.nodeAffinityPolicy === "Ignore" || !restricts) && c.nodeTaintsPolicy === "Ignore");
  for (const ni of nodes) {
    if (!ni.node) continue;
    const labels = ni.labels;
    if (!nodeHasAllKeys(constraints, labels)) continue;
    for (let i = 0; i < constraints.length; i++) {
      if (!everyNode && !nodeInclusion(constraints[i], pod.pod, ni)) continue;
      const v = labels[constraints[i].topologyKey];
      counts[i].set(v, (counts[i].get(v) ?? 0) + countOn(ni, counters[i]));
    }
  }
  const min = constraints.map((c, i) => {
    if (counts[i].size < c.minDomains) return 0;
    let m = Infinity;
    for (const n of counts[i].values()) if (n < m) m = n;
    return m === Infinity ? 0 : m;
  });
  const self = constraints.map((c) => (c.selector.matches(pod.labels) ? 1 : 0));
  return { constraints, counts, min, self };
}

/**
 * The skew placing the pod on a node in domain `value` of constraint `i` would give: matching
 * pods there, plus the pod itself when it matches, minus the global minimum (taken as 0 while
 * there are fewer domains than minDomains).
 */
export function skewFor(st: PreFilterState, i: number, value: string): number {
  return (st.counts[i].get(value) ?? 0) + st.self[i] - st.min[i];
}

const PRE_FILTER = `${name}/preFilter`;
const PRE_SCORE = `${name}/preScore`;
// Shared by every node they reject (statuses are never changed once made).
const MISSING_LABEL = Object.freeze(status(Code.UnschedulableAndUnresolvable, name, ERR_REASON_NODE_LABEL_NOT_MATCH));
const TOO_MUCH_SKEW = Object.freeze(status(Code.Unschedulable, name, ERR_REASON_CONSTRAINTS_NOT_MATCH));

export function preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): null | typeof SKIP {
  const cs = constraintsOf(pod.pod, "DoNotSchedule");
  if (!cs.length) return SKIP;
  state.write(PRE_FILTER, computeFilterState(pod, cs, nodes));
  return null;
}

export function filter(state: CycleState, _pod: PodInfo, ni: NodeInfo): Status | null {
  const st = state.read<PreFilterState>(PRE_FILTER);
  if (!st || !st.constraints.length) return null;
  for (let i = 0; i < st.constraints.length; i++) {
    const c = st.constraints[i];
    const v = ni.labels[c.topologyKey];
    if (v === undefined) return MISSING_LABEL;
    if (skewFor(st, i, v) > c.maxSkew) return TOO_MUCH_SKEW;
  }
  return null;
}

// ----- score -----

export interface PreScoreState {
  constraints: Constraint[];
  counters: (PodCounter | undefined)[];
  ignored: Set<string>;
  /** Per constraint: matching pods per domain (hostname constraints count per node instead). */
  counts: Map<string, number>[];
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
  const counters = cs.map((c) => spreadCounter(c.selector, pod.namespace));
  // The domains of the feasible nodes, each starting at 0.
  const counts = cs.map(() => new Map<string, number>());
  for (const ni of filtered) {
    if (requireAll && !nodeHasAllKeys(cs, ni.labels)) {
      ignored.add(ni.name);
      continue;
    }
    cs.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME) return;
      const v = ni.labels[c.topologyKey];
      if (v !== undefined) counts[i].set(v, 0);
    });
  }
  const weights = cs.map((c, i) => {
    const n = c.topologyKey === LABEL_HOSTNAME ? filtered.length - ignored.size : counts[i].size;
    return Math.log(n + 2);
  });
  for (const ni of all) {
    if (!ni.node) continue;
    if (requireAll && !nodeHasAllKeys(cs, ni.labels)) continue;
    cs.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME) return;
      const v = ni.labels[c.topologyKey];
      if (v === undefined) return;
      const n = counts[i].get(v);
      if (n === undefined || !nodeInclusion(c, pod.pod, ni)) return;
      counts[i].set(v, n + countOn(ni, counters[i]));
    });
  }
  return { constraints: cs, counters, ignored, counts, weights };
}

export function preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], all: readonly NodeInfo[]): null | typeof SKIP {
  const { constraints, requireAllTopologies } = scoringConstraints(pod.pod, state.env.defaultSpreadSelector?.(pod.pod));
  if (!constraints.length) return SKIP;
  state.write(PRE_SCORE, computeScoreState(pod, constraints, requireAllTopologies, nodes, all));
  return null;
}

export function score(state: CycleState, _pod: PodInfo, ni: NodeInfo): number {
  const st = state.read<PreScoreState>(PRE_SCORE);
  if (!st || st.ignored.has(ni.name)) return 0;
  let s = 0;
  st.constraints.forEach((c, i) => {
    const v = ni.labels[c.topologyKey];
    if (v === undefined) return;
    const cnt = c.topologyKey === LABEL_HOSTNAME ? countOn(ni, st.counters[i]) : (st.counts[i].get(v) ?? 0);
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
