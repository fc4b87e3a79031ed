/**
 * InterPodAffinity: required pod affinity / anti-affinity of the incoming pod, and required
 * anti-affinity of pods already bound, evaluated per topology domain (topologyKey's value);
 * preferred terms (both ways) as a score.
 */
import { Code, MAX_NODE_SCORE, SKIP, status, termMatches, type AffinityTerm, type CycleState, type FilterPlugin, type NamespaceLabels, type NodeInfo, type PodInfo, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin, type Status, type WeightedAffinityTerm } from "../framework";

export const name = "InterPodAffinity";
export const WEIGHT = 2;
/** Weight of an existing pod's required affinity term that selects the incoming pod (upstream default 1). */
export const HARD_POD_AFFINITY_WEIGHT = 1;

export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

/** Counts per topology pair, keyed "key\0value". */
type Counts = Map<string, number>;

const pair = (k: string, v: string) => `${k}\u0000${v}`;

function bump(m: Counts, k: string, by: number): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

export interface PreFilterState {
  /** Domains where some bound pod's required anti-affinity selects the incoming pod. */
  existingAntiAffinityCounts: Counts;
  /** Domains with pods matching all of the incoming pod's required affinity terms. */
  affinityCounts: Counts;
  /** Domains with pods matching one of the incoming pod's required anti-affinity terms. */
  antiAffinityCounts: Counts;
}

function matchesAll(terms: readonly AffinityTerm[], p: PodInfo, ns?: NamespaceLabels): boolean {
  return terms.every((t) => termMatches(t, p, ns));
}

/** Builds the per-domain counts the filter reads. */
export function computePreFilterState(pod: PodInfo, nodes: readonly NodeInfo[], ns?: NamespaceLabels): PreFilterState {
  const st: PreFilterState = { existingAntiAffinityCounts: new Map(), affinityCounts: new Map(), antiAffinityCounts: new Map() };
  const hasRequired = pod.requiredAffinity.length > 0 || pod.requiredAntiAffinity.length > 0;
  for (const ni of nodes) {
    if (!ni.node) continue;
    for (const existing of ni.podsWithRequiredAntiAffinity) {
      for (const t of existing.requiredAntiAffinity) {
        const v = ni.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, pod, ns)) bump(st.existingAntiAffinityCounts, pair(t.topologyKey, v), 1);
      }
    }
    if (!hasRequired) continue;
    for (const existing of ni.pods) {
      if (pod.requiredAffinity.length && matchesAll(pod.requiredAffinity, existing, ns)) {
        for (const t of pod.requiredAffinity) {
          const v = ni.labels[t.topologyKey];
          if (v !== undefined) bump(st.affinityCounts, pair(t.topologyKey, v), 1);
        }
      }
      for (const t of pod.requiredAntiAffinity) {
        const v = ni.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, existing, ns)) bump(st.antiAffinityCounts, pair(t.topologyKey, v), 1);
      }
    }
  }
  return st;
}

/** Whether the node's domains are free of bound pods whose anti-affinity rejects the pod. */
export function satisfiesExistingPodsAntiAffinity(st: PreFilterState, ni: NodeInfo): boolean {
  if (st.existingAntiAffinityCounts.size === 0) return true;
  for (const [k, v] of Object.entries(ni.labels)) if ((st.existingAntiAffinityCounts.get(pair(k, v)) ?? 0) > 0) return false;
  return true;
}

export function satisfiesPodAntiAffinity(pod: PodInfo, st: PreFilterState, ni: NodeInfo): boolean {
  if (st.antiAffinityCounts.size === 0) return true;
  for (const t of pod.requiredAntiAffinity) {
    const v = ni.labels[t.topologyKey];
    if (v !== undefined && (st.antiAffinityCounts.get(pair(t.topologyKey, v)) ?? 0) > 0) return false;
  }
  return true;
}

export function satisfiesPodAffinity(pod: PodInfo, st: PreFilterState, ni: NodeInfo, ns?: NamespaceLabels): boolean {
  let podsExist = true;
  for (const t of pod.requiredAffinity) {
    const v = ni.labels[t.topologyKey];
    if (v === undefined) return false;
    if ((st.affinityCounts.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group that selects itself may go anywhere with the topology labels.
  return st.affinityCounts.size === 0 && matchesAll(pod.requiredAffinity, pod, ns);
}

const PRE_FILTER = `${name}/preFilter`;
const PRE_SCORE = `${name}/preScore`;

export function preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): null | typeof SKIP {
  const anyExistingAnti = nodes.some((n) => n.podsWithRequiredAntiAffinity.length > 0);
  if (!anyExistingAnti && pod.requiredAffinity.length === 0 && pod.requiredAntiAffinity.length === 0) return SKIP;
  state.write(PRE_FILTER, computePreFilterState(pod, nodes, state.env.namespaceLabels));
  return null;
}

export function filter(state: CycleState, pod: PodInfo, ni: NodeInfo): Status | null {
  const st = state.read<PreFilterState>(PRE_FILTER);
  if (!st) return null;
  if (!satisfiesPodAffinity(pod, st, ni, state.env.namespaceLabels)) return status(Code.UnschedulableAndUnresolvable, name, ERR_REASON_AFFINITY);
  if (!satisfiesPodAntiAffinity(pod, st, ni)) return status(Code.Unschedulable, name, ERR_REASON_ANTI_AFFINITY);
  if (!satisfiesExistingPodsAntiAffinity(st, ni)) return status(Code.Unschedulable, name, ERR_REASON_EXISTING_ANTI_AFFINITY);
  return null;
}

// ----- score -----

/** topologyKey → value → summed weight. */
export type TopologyScore = Map<string, Map<string, number>>;

function addScore(ts: TopologyScore, key: string, value: string, w: number): void {
  let m = ts.get(key);
  if (!m) ts.set(key, (m = new Map()));
  m.set(value, (m.get(value) ?? 0) + w);
}

function processTerms(ts: TopologyScore, terms: readonly (AffinityTerm | WeightedAffinityTerm)[], target: PodInfo, ni: NodeInfo, multiplier: number, fixedWeight: number | undefined, ns?: NamespaceLabels): void {
  for (const t of terms) {
    const w = fixedWeight ?? (t as WeightedAffinityTerm).weight;
    if (!w) continue;
    const v = ni.labels[t.topologyKey];
    if (v === undefined) continue;
    if (termMatches(t, target, ns)) addScore(ts, t.topologyKey, v, w * multiplier);
  }
}

/** The weights every domain earns for the incoming pod from every bound pod, both directions. */
export function computeTopologyScore(pod: PodInfo, allNodes: readonly NodeInfo[], ns?: NamespaceLabels): TopologyScore {
  const ts: TopologyScore = new Map();
  const incomingHasPreferred = pod.preferredAffinity.length > 0 || pod.preferredAntiAffinity.length > 0;
  for (const ni of allNodes) {
    if (!ni.node) continue;
    const pods = incomingHasPreferred ? ni.pods : ni.podsWithAffinity;
    for (const existing of pods) {
      processTerms(ts, pod.preferredAffinity, existing, ni, 1, undefined, ns);
      processTerms(ts, pod.preferredAntiAffinity, existing, ni, -1, undefined, ns);
      if (HARD_POD_AFFINITY_WEIGHT > 0) processTerms(ts, existing.requiredAffinity, pod, ni, 1, HARD_POD_AFFINITY_WEIGHT, ns);
      processTerms(ts, existing.preferredAffinity, pod, ni, 1, undefined, ns);
      processTerms(ts, existing.preferredAntiAffinity, pod, ni, -1, undefined, ns);
    }
  }
  return ts;
}

export function preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[], allNodes: readonly NodeInfo[]): null | typeof SKIP {
  const incomingHasPreferred = pod.preferredAffinity.length > 0 || pod.preferredAntiAffinity.length > 0;
  if (!incomingHasPreferred && !allNodes.some((n) => n.podsWithAffinity.length > 0)) return SKIP;
  const ts = computeTopologyScore(pod, allNodes, state.env.namespaceLabels);
  if (ts.size === 0) return SKIP;
  state.write(PRE_SCORE, ts);
  return null;
}

export function score(state: CycleState, _pod: PodInfo, ni: NodeInfo): number {
  const ts = state.read<TopologyScore>(PRE_SCORE);
  if (!ts) return 0;
  let s = 0;
  for (const [k, byValue] of ts) {
    const v = ni.labels[k];
    if (v !== undefined) s += byValue.get(v) ?? 0;
  }
  return s;
}

/** Min-max scaling onto 0..100 (all zero when every node scored the same). */
export function normalize(_state: CycleState | undefined, _pod: PodInfo, scores: number[]): void {
  if (!scores.length) return;
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const diff = max - min;
  for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (scores[i] - min)) / diff) : 0;
}

export function plugin(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return { name, preFilter, filter, preScore, score, normalize };
}
