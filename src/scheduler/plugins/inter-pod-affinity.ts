/**
 * InterPodAffinity: required pod affinity / anti-affinity of the incoming pod, and required
 * anti-affinity of pods already bound, evaluated per topology domain (topologyKey's value);
 * preferred terms (both ways) as a score.
 */
import { Code, MAX_NODE_SCORE, SKIP, status, termMatches, type AffinityTerm, type CycleState, type FilterPlugin, type NamespaceLabels, type NodeInfo, type PodInfo, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin, type Status } from "../framework";
import { podCounter, transientCounter, type PodCounter } from "../pod-counter";

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

/** Whether a term's answer depends on the pod alone (a namespaceSelector reads namespace labels). */
function keepable(t: AffinityTerm): boolean {
  return !t.namespaceSelector || t.namespaceSelector.empty;
}

/** The counter of pods matching every one of `terms` (bound pods' side of the incoming pod's terms). */
export function termsCounter(terms: readonly AffinityTerm[], ns?: NamespaceLabels): PodCounter {
  const key = `${name}\u0000${terms.map((t) => t.matchKey).join("\u0000")}`;
  // A kept counter outlives this cycle: it must not hold on to the namespace lookup (nor need it).
  if (terms.every(keepable)) return podCounter(key, (p) => matchesAll(terms, p));
  return transientCounter(key, (p) => matchesAll(terms, p, ns));
}

/** Whether a term carried by bound pods selects `pod`, answered once per distinct term. */
function selectsPod(pod: PodInfo, ns?: NamespaceLabels): (t: AffinityTerm) => boolean {
  const memo = new Map<string, boolean>();
  return (t) => {
    let yes = memo.get(t.matchKey);
    if (yes === undefined) memo.set(t.matchKey, (yes = termMatches(t, pod, ns)));
    return yes;
  };
}

/**
 * Builds the per-domain counts the filter reads, from the terms each node's pods carry and the
 * kept counts of pods matching the incoming pod's terms: O(nodes), not O(pods).
 */
export function computePreFilterState(pod: PodInfo, nodes: readonly NodeInfo[], ns?: NamespaceLabels): PreFilterState {
  const st: PreFilterState = { existingAntiAffinityCounts: new Map(), affinityCounts: new Map(), antiAffinityCounts: new Map() };
  const selects = selectsPod(pod, ns);
  const affinity = pod.requiredAffinity.length ? termsCounter(pod.requiredAffinity, ns) : undefined;
  const anti = pod.requiredAntiAffinity.map((t) => termsCounter([t], ns));
  for (const ni of nodes) {
    if (!ni.node) continue;
    if (ni.podsWithRequiredAntiAffinity.length) {
      for (const tc of ni.affinityTerms.values()) {
        if (tc.kind !== "requiredAntiAffinity") continue;
        const v = ni.labels[tc.term.topologyKey];
        if (v !== undefined && selects(tc.term)) bump(st.existingAntiAffinityCounts, pair(tc.term.topologyKey, v), tc.count);
      }
    }
    if (affinity) {
      const n = ni.countMatching(affinity);
      if (n > 0) {
        for (const t of pod.requiredAffinity) {
          const v = ni.labels[t.topologyKey];
          if (v !== undefined) bump(st.affinityCounts, pair(t.topologyKey, v), n);
        }
      }
    }
    pod.requiredAntiAffinity.forEach((t, i) => {
      const v = ni.labels[t.topologyKey];
      if (v === undefined) return;
      const n = ni.countMatching(anti[i]);
      if (n > 0) bump(st.antiAffinityCounts, pair(t.topologyKey, v), n);
    });
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
// Shared by every node they reject (statuses are never changed once made).
const AFFINITY_UNMET = Object.freeze(status(Code.UnschedulableAndUnresolvable, name, ERR_REASON_AFFINITY));
const ANTI_AFFINITY_UNMET = Object.freeze(status(Code.Unschedulable, name, ERR_REASON_ANTI_AFFINITY));
const EXISTING_ANTI_AFFINITY_UNMET = Object.freeze(status(Code.Unschedulable, name, ERR_REASON_EXISTING_ANTI_AFFINITY));

export function preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): null | typeof SKIP {
  const anyExistingAnti = nodes.some((n) => n.podsWithRequiredAntiAffinity.length > 0);
  if (!anyExistingAnti && pod.requiredAffinity.length === 0 && pod.requiredAntiAffinity.length === 0) return SKIP;
  state.write(PRE_FILTER, computePreFilterState(pod, nodes, state.env.namespaceLabels));
  return null;
}

export function filter(state: CycleState, pod: PodInfo, ni: NodeInfo): Status | null {
  const st = state.read<PreFilterState>(PRE_FILTER);
  if (!st) return null;
  if (!satisfiesPodAffinity(pod, st, ni, state.env.namespaceLabels)) return AFFINITY_UNMET;
  if (!satisfiesPodAntiAffinity(pod, st, ni)) return ANTI_AFFINITY_UNMET;
  if (!satisfiesExistingPodsAntiAffinity(st, ni)) return EXISTING_ANTI_AFFINITY_UNMET;
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

/**
 * The weights the domains of the nodes being scored earn for the incoming pod from every bound
 * pod, both directions: the incoming pod's preferred terms times the kept count of pods they
 * select, and the terms the bound pods carry (grouped per node) that select the incoming pod.
 * O(nodes), not O(pods). Weights of domains holding none of `nodes` would never be read, so
 * only those domains are summed; empty when no bound pod weighs on any of them.
 */
export function computeTopologyScore(pod: PodInfo, nodes: readonly NodeInfo[], allNodes: readonly NodeInfo[], ns?: NamespaceLabels): TopologyScore {
  const ts: TopologyScore = new Map();
  const domainsOf = (key: string): Map<string, number> => {
    let m = ts.get(key);
    if (!m) {
      m = new Map();
      for (const ni of nodes) {
        const v = ni.labels[key];
        if (v !== undefined) m.set(v, 0);
      }
      ts.set(key, m);
    }
    return m;
  };
  const selects = selectsPod(pod, ns);
  const own = [...pod.preferredAffinity.map((t) => ({ t, sign: 1 })), ...pod.preferredAntiAffinity.map((t) => ({ t, sign: -1 }))]
    .filter(({ t }) => t.weight)
    .map(({ t, sign }) => ({ key: t.topologyKey, weight: t.weight * sign, counter: termsCounter([t], ns), domains: domainsOf(t.topologyKey) }));
  let weighed = false;
  for (const ni of allNodes) {
    if (!ni.node) continue;
    const labels = ni.labels;
    for (let i = 0; i < own.length; i++) {
      const o = own[i];
      const v = labels[o.key];
      const cur = v === undefined ? undefined : o.domains.get(v);
      if (cur === undefined) continue;
      const n = ni.countMatching(o.counter);
      if (n === 0) continue;
      o.domains.set(v!, cur + o.weight * n);
      weighed = true;
    }
    if (!ni.podsWithAffinity.length) continue;
    for (const tc of ni.affinityTerms.values()) {
      if (tc.kind === "requiredAntiAffinity") continue;
      const w = tc.kind === "requiredAffinity" ? HARD_POD_AFFINITY_WEIGHT : tc.weight;
      const v = labels[tc.term.topologyKey];
      if (!w || v === undefined) continue;
      const domains = domainsOf(tc.term.topologyKey);
      const cur = domains.get(v);
      if (cur === undefined || !selects(tc.term)) continue;
      domains.set(v, cur + (tc.kind === "preferredAntiAffinity" ? -w : w) * tc.count);
      weighed = true;
    }
  }
  return weighed ? ts : new Map();
}

export function preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], allNodes: readonly NodeInfo[]): null | typeof SKIP {
  const incomingHasPreferred = pod.preferredAffinity.length > 0 || pod.preferredAntiAffinity.length > 0;
  if (!incomingHasPreferred && !allNodes.some((n) => n.podsWithAffinity.length > 0)) return SKIP;
  const ts = computeTopologyScore(pod, nodes, allNodes, state.env.namespaceLabels);
  // No weight on any scored node's domain: every one would score the same.
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
