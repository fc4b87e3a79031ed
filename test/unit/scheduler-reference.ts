/**
 * Brute-force versions of what PodTopologySpread and InterPodAffinity conclude, looking at every
 * pod of every node the way the plugins did before they had kept counts. The index tests compare
 * the plugins with these.
 */
import type { LabelSelector } from "../../src/lib/selectors";
import { newPodInfo, termMatches, type AffinityTerm, type NodeInfo, type PodInfo, type WeightedAffinityTerm } from "../../src/scheduler/framework";
import * as ipa from "../../src/scheduler/plugins/inter-pod-affinity";
import * as pts from "../../src/scheduler/plugins/pod-topology-spread";

type Obj = Record<string, any>;

export interface Verdict {
  spread: string[] | "ok";
  affinity: string[] | "ok" | "skip";
  spreadScore: number | "skip";
  affinityScore: number | "skip";
}

function matching(ni: NodeInfo, selector: LabelSelector, namespace: string): number {
  if (selector.empty) return 0;
  return ni.pods.filter((q) => !q.terminating && q.namespace === namespace && selector.matches(q.labels)).length;
}

function spreadFilter(p: PodInfo, nodes: readonly NodeInfo[]): Map<string, string[] | "ok"> {
  const cs = pts.constraintsOf(p.pod, "DoNotSchedule");
  const counts = cs.map(() => new Map<string, number>());
  for (const ni of nodes) {
    if (!ni.node || !pts.nodeHasAllKeys(cs, ni.labels)) continue;
    cs.forEach((c, i) => {
      if (!pts.nodeInclusion(c, p.pod, ni)) return;
      const v = ni.labels[c.topologyKey];
      counts[i].set(v, (counts[i].get(v) ?? 0) + matching(ni, c.selector, p.namespace));
    });
  }
  const out = new Map<string, string[] | "ok">();
  for (const ni of nodes) {
    let verdict: string[] | "ok" = "ok";
    for (let i = 0; i < cs.length && verdict === "ok"; i++) {
      const c = cs[i];
      const v = ni.labels[c.topologyKey];
      if (v === undefined) verdict = [pts.ERR_REASON_NODE_LABEL_NOT_MATCH];
      else {
        const min = counts[i].size < c.minDomains ? 0 : Math.min(...counts[i].values());
        const self = c.selector.matches(p.labels) ? 1 : 0;
        if ((counts[i].get(v) ?? 0) + self - min > c.maxSkew) verdict = [pts.ERR_REASON_CONSTRAINTS_NOT_MATCH];
      }
    }
    out.set(ni.name, verdict);
  }
  return out;
}

function spreadScores(p: PodInfo, nodes: readonly NodeInfo[], defaultSelector?: LabelSelector): Map<string, number> | "skip" {
  const { constraints: cs, requireAllTopologies } = pts.scoringConstraints(p.pod, defaultSelector);
  if (!cs.length) return "skip";
  const ignored = new Set(nodes.filter((ni) => requireAllTopologies && !pts.nodeHasAllKeys(cs, ni.labels)).map((ni) => ni.name));
  const host = (c: pts.Constraint) => c.topologyKey === pts.LABEL_HOSTNAME;
  const domains = cs.map((c) => new Set(nodes.filter((ni) => !ignored.has(ni.name) && !host(c) && ni.labels[c.topologyKey] !== undefined).map((ni) => ni.labels[c.topologyKey])));
  const weights = cs.map((c, i) => Math.log((host(c) ? nodes.length - ignored.size : domains[i].size) + 2));
  const counts = cs.map(() => new Map<string, number>());
  for (const ni of nodes) {
    if (!ni.node || ignored.has(ni.name)) continue;
    cs.forEach((c, i) => {
      const v = ni.labels[c.topologyKey];
      if (host(c) || v === undefined || !domains[i].has(v) || !pts.nodeInclusion(c, p.pod, ni)) return;
      counts[i].set(v, (counts[i].get(v) ?? 0) + matching(ni, c.selector, p.namespace));
    });
  }
  const out = new Map<string, number>();
  for (const ni of nodes) {
    let s = 0;
    if (!ignored.has(ni.name)) {
      cs.forEach((c, i) => {
        const v = ni.labels[c.topologyKey];
        if (v === undefined) return;
        const n = host(c) ? matching(ni, c.selector, p.namespace) : (counts[i].get(v) ?? 0);
        s += n * weights[i] + (c.maxSkew - 1);
      });
    }
    out.set(ni.name, Math.round(s));
  }
  return out;
}

const pair = (k: string, v: string) => `${k}\u0000${v}`;

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function affinityFilter(p: PodInfo, nodes: readonly NodeInfo[]): Map<string, string[] | "ok"> | "skip" {
  const anyExisting = nodes.some((ni) => ni.pods.some((q) => q.requiredAntiAffinity.length));
  if (!anyExisting && !p.requiredAffinity.length && !p.requiredAntiAffinity.length) return "skip";
  const st: ipa.PreFilterState = { existingAntiAffinityCounts: new Map(), affinityCounts: new Map(), antiAffinityCounts: new Map() };
  for (const ni of nodes) {
    if (!ni.node) continue;
    for (const q of ni.pods) {
      for (const t of q.requiredAntiAffinity) {
        const v = ni.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, p)) bump(st.existingAntiAffinityCounts, pair(t.topologyKey, v));
      }
      if (p.requiredAffinity.length && p.requiredAffinity.every((t) => termMatches(t, q))) {
        for (const t of p.requiredAffinity) {
          const v = ni.labels[t.topologyKey];
          if (v !== undefined) bump(st.affinityCounts, pair(t.topologyKey, v));
        }
      }
      for (const t of p.requiredAntiAffinity) {
        const v = ni.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, q)) bump(st.antiAffinityCounts, pair(t.topologyKey, v));
      }
    }
  }
  const out = new Map<string, string[] | "ok">();
  for (const ni of nodes) {
    let verdict: string[] | "ok" = "ok";
    if (!ipa.satisfiesPodAffinity(p, st, ni)) verdict = [ipa.ERR_REASON_AFFINITY];
    else if (!ipa.satisfiesPodAntiAffinity(p, st, ni)) verdict = [ipa.ERR_REASON_ANTI_AFFINITY];
    else if (!ipa.satisfiesExistingPodsAntiAffinity(st, ni)) verdict = [ipa.ERR_REASON_EXISTING_ANTI_AFFINITY];
    out.set(ni.name, verdict);
  }
  return out;
}

function affinityScores(p: PodInfo, nodes: readonly NodeInfo[]): Map<string, number> | "skip" {
  const ts = new Map<string, number>();
  const add = (terms: readonly (AffinityTerm | WeightedAffinityTerm)[], target: PodInfo, ni: NodeInfo, sign: number, fixed?: number) => {
    for (const t of terms) {
      const w = fixed ?? (t as WeightedAffinityTerm).weight;
      const v = ni.labels[t.topologyKey];
      if (!w || v === undefined || !termMatches(t, target)) continue;
      ts.set(pair(t.topologyKey, v), (ts.get(pair(t.topologyKey, v)) ?? 0) + w * sign);
    }
  };
  for (const ni of nodes) {
    if (!ni.node) continue;
    for (const q of ni.pods) {
      add(p.preferredAffinity, q, ni, 1);
      add(p.preferredAntiAffinity, q, ni, -1);
      add(q.requiredAffinity, p, ni, 1, ipa.HARD_POD_AFFINITY_WEIGHT);
      add(q.preferredAffinity, p, ni, 1);
      add(q.preferredAntiAffinity, p, ni, -1);
    }
  }
  if (!ts.size) return "skip";
  const out = new Map<string, number>();
  for (const ni of nodes) {
    let s = 0;
    for (const [k, w] of ts) {
      const [key, value] = k.split("\u0000");
      if (ni.labels[key] === value) s += w;
    }
    out.set(ni.name, s);
  }
  return out;
}

/** Every verdict the two plugins give the incoming pod, per node, by brute force. */
export function referenceVerdicts(incoming: Obj, nodes: readonly NodeInfo[], defaultSelector?: LabelSelector): Record<string, Verdict> {
  const p = newPodInfo(incoming);
  const spread = spreadFilter(p, nodes);
  const affinity = affinityFilter(p, nodes);
  const spreadScore = spreadScores(p, nodes, defaultSelector);
  const affinityScore = affinityScores(p, nodes);
  const out: Record<string, Verdict> = {};
  for (const ni of nodes) {
    out[ni.name] = {
      spread: spread.get(ni.name)!,
      affinity: affinity === "skip" ? "skip" : affinity.get(ni.name)!,
      spreadScore: spreadScore === "skip" ? "skip" : spreadScore.get(ni.name)!,
      affinityScore: affinityScore === "skip" ? "skip" : affinityScore.get(ni.name)!,
    };
  }
  return out;
}
