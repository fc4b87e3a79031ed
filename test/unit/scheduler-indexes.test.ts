/**
 * The scheduler cache's incremental indexes (pod counters kept per node, the affinity terms each
 * node's pods carry) against full recounts, over long random sequences of pod and node changes;
 * and the plugins that read them against the same plugins over a cache built afresh.
 */
import { describe, expect, it } from "vitest";
import { labelSelectorFromObject, type LabelSelector } from "../../src/lib/selectors";
import { buildCache, occupiesNode, podKey, SchedulerCache } from "../../src/scheduler/cache";
import { CycleState, newPodInfo, parseAffinityTerm, type NodeInfo, type PodInfo, type TermKind } from "../../src/scheduler/framework";
import { MAX_COUNTERS, podCounter, registeredCounters, transientCounter, type PodCounter } from "../../src/scheduler/pod-counter";
import * as ipa from "../../src/scheduler/plugins/inter-pod-affinity";
import * as pts from "../../src/scheduler/plugins/pod-topology-spread";
import { node, pod } from "./scheduler-helpers";
import { referenceVerdicts, type Verdict } from "./scheduler-reference";

type Obj = Record<string, any>;

/** A small seeded generator (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const APPS = ["web", "db", "cache"];
const NAMESPACES = ["default", "other"];
const NODE_NAMES = ["n0", "n1", "n2", "n3", "n4", "n5"];
const TOPOLOGY_KEYS = ["zone", "kubernetes.io/hostname"];

class World {
  readonly nodes = new Map<string, Obj>();
  readonly pods = new Map<string, Obj>();
  private rv = 1;
  constructor(private readonly r: () => number) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)];
  }

  stamp(o: Obj): Obj {
    o.metadata.resourceVersion = String(++this.rv);
    return o;
  }

  randomNode(name: string): Obj {
    // Some nodes lack the zone label; zones change when a node is re-registered.
    const labels: Record<string, string> = this.r() < 0.8 ? { zone: this.pick(["a", "b", "c"]) } : {};
    return this.stamp(node(name, { labels }));
  }

  term(): Obj {
    const t: Obj = { labelSelector: { matchLabels: { app: this.pick(APPS) } }, topologyKey: this.pick(TOPOLOGY_KEYS) };
    const r = this.r();
    if (r < 0.15) t.namespaces = [this.pick(NAMESPACES)];
    else if (r < 0.25) t.namespaceSelector = {};
    return t;
  }

  randomAffinity(): Obj | undefined {
    if (this.r() < 0.4) return undefined;
    const aff: Obj = {};
    const pick = (n: number) => Array.from({ length: Math.floor(this.r() * n) }, () => this.term());
    const weighted = (n: number) => pick(n).map((t) => ({ weight: 1 + Math.floor(this.r() * 100), podAffinityTerm: t }));
    aff.podAffinity = { requiredDuringSchedulingIgnoredDuringExecution: pick(2), preferredDuringSchedulingIgnoredDuringExecution: weighted(3) };
    aff.podAntiAffinity = { requiredDuringSchedulingIgnoredDuringExecution: pick(2), preferredDuringSchedulingIgnoredDuringExecution: weighted(3) };
    return aff;
  }

  randomPod(name: string): Obj {
    const p = pod(name, { namespace: this.pick(NAMESPACES), labels: { app: this.pick(APPS), tier: this.pick(["fe", "be"]) }, nodeName: this.pick(NODE_NAMES), affinity: this.randomAffinity() });
    if (this.r() < 0.1) p.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
    if (this.r() < 0.05) p.status.phase = "Succeeded";
    return this.stamp(p);
  }
}

/** Applies one random change to the world and the cache; returns what it did. */
function step(w: World, cache: SchedulerCache, r: () => number, n: number): string {
  const op = r();
  const keys = [...w.pods.keys()];
  if (op < 0.35 || keys.length < 5) {
    const p = w.randomPod(`p${n}`);
    w.pods.set(podKey(p), p);
    cache.addOrUpdatePod(p);
    return `add ${podKey(p)}`;
  }
  if (op < 0.55) {
    const key = w.pick(keys);
    w.pods.delete(key);
    cache.removePod(key);
    return `delete ${key}`;
  }
  if (op < 0.85) {
    // An update: new labels, a move, terminating, finished, or a status-only write.
    const key = w.pick(keys);
    const p = structuredClone(w.pods.get(key)!);
    const kind = r();
    if (kind < 0.3) p.metadata.labels = { app: w.pick(APPS), tier: w.pick(["fe", "be"]) };
    else if (kind < 0.5) p.spec.nodeName = w.pick(NODE_NAMES);
    else if (kind < 0.65) p.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
    else if (kind < 0.75) p.status.phase = "Failed";
    else p.status.conditions = [{ type: "Ready", status: String(r() < 0.5) }];
    w.stamp(p);
    w.pods.set(key, p);
    cache.addOrUpdatePod(p);
    return `update ${key}`;
  }
  const name = w.pick(NODE_NAMES);
  if (op < 0.93 && w.nodes.has(name)) {
    w.nodes.delete(name);
    cache.removeNode(name);
    return `remove node ${name}`;
  }
  const nd = w.randomNode(name);
  w.nodes.set(name, nd);
  cache.addOrUpdateNode(nd);
  return `node ${name}`;
}

function probes(): PodCounter[] {
  const out: PodCounter[] = [];
  for (const ns of NAMESPACES) {
    for (const app of APPS) {
      out.push(pts.spreadCounter(labelSelectorFromObject({ matchLabels: { app } }), ns)!);
      out.push(pts.spreadCounter(labelSelectorFromObject({ matchExpressions: [{ key: "app", operator: "In", values: [app, "db"] }, { key: "tier", operator: "NotIn", values: ["be"] }] }), ns)!);
    }
  }
  const owner = pod("owner", { labels: { app: "web" } });
  out.push(ipa.termsCounter([parseAffinityTerm({ labelSelector: { matchLabels: { app: "db" } }, topologyKey: "zone" }, owner)]));
  out.push(ipa.termsCounter([parseAffinityTerm({ labelSelector: { matchLabels: { tier: "fe" } }, topologyKey: "zone", namespaceSelector: {} }, owner)]));
  out.push(ipa.termsCounter([parseAffinityTerm({ labelSelector: { matchLabels: { app: "web" } }, topologyKey: "zone" }, owner), parseAffinityTerm({ labelSelector: { matchLabels: { tier: "be" } }, topologyKey: "zone", namespaces: ["default", "other"] }, owner)]));
  return out;
}

/** What the world says each node holds: pods that occupy it, as PodInfos. */
function recount(w: World): Map<string, PodInfo[]> {
  const out = new Map<string, PodInfo[]>();
  for (const p of w.pods.values()) {
    if (!occupiesNode(p)) continue;
    const list = out.get(p.spec.nodeName) ?? [];
    list.push(newPodInfo(p));
    out.set(p.spec.nodeName, list);
  }
  return out;
}

const KINDS: TermKind[] = ["requiredAffinity", "requiredAntiAffinity", "preferredAffinity", "preferredAntiAffinity"];

/** The node's distinct affinity terms with counts, from scratch, in a comparable form. */
function termCounts(pods: readonly PodInfo[]): string[] {
  const m = new Map<string, number>();
  for (const p of pods) {
    for (const kind of KINDS) {
      for (const t of p[kind]) {
        const k = JSON.stringify([kind, "weight" in t ? t.weight : 0, t.topologyKey, t.matchKey]);
        m.set(k, (m.get(k) ?? 0) + 1);
      }
    }
  }
  return [...m].map(([k, n]) => `${k} ${n}`).sort();
}

function keptTermCounts(ni: NodeInfo): string[] {
  return [...ni.affinityTerms.values()].map((tc) => `${JSON.stringify([tc.kind, tc.weight, tc.term.topologyKey, tc.term.matchKey])} ${tc.count}`).sort();
}

/** Every plugin verdict that reads the indexes, per node, for an incoming pod. */
function verdicts(incoming: Obj, nodes: readonly NodeInfo[], defaultSelector: LabelSelector): Record<string, Verdict> {
  const p = newPodInfo(incoming);
  const out: Record<string, Verdict> = {};
  const s1 = new CycleState();
  pts.preFilter(s1, p, nodes);
  const s2 = new CycleState();
  const pre = ipa.preFilter(s2, p, nodes);
  const s3 = new CycleState({ defaultSpreadSelector: () => defaultSelector });
  const ptsScore = pts.preScore(s3, p, nodes, nodes);
  const s4 = new CycleState();
  const ipaScore = ipa.preScore(s4, p, nodes, nodes);
  for (const ni of nodes) {
    out[ni.name] = {
      spread: pts.filter(s1, p, ni)?.reasons ?? "ok",
      affinity: pre === "skip" ? "skip" : (ipa.filter(s2, p, ni)?.reasons ?? "ok"),
      spreadScore: ptsScore === "skip" ? "skip" : pts.score(s3, p, ni),
      affinityScore: ipaScore === "skip" ? "skip" : ipa.score(s4, p, ni),
    };
  }
  return out;
}

describe("incremental scheduler indexes", () => {
  it.each([1, 2, 3, 4, 5, 6])("random pod and node changes keep every count equal to a recount (seed %i)", (seed) => {
    const r = rng(seed);
    const w = new World(r);
    const cache = new SchedulerCache();
    for (const name of NODE_NAMES.slice(0, 4)) {
      const nd = w.randomNode(name);
      w.nodes.set(name, nd);
      cache.addOrUpdateNode(nd);
    }
    const counters = probes();
    const log: string[] = [];
    for (let n = 0; n < 400; n++) {
      log.push(step(w, cache, r, n));
      const truth = recount(w);
      // Gathered per step and compared once: a mismatch names the node, the counter and the steps.
      const kept: string[] = [];
      const recounted: string[] = [];
      for (const name of NODE_NAMES) {
        const ni = cache.nodeInfo(name);
        const pods = truth.get(name) ?? [];
        if (!ni) {
          kept.push(`${name}: absent`);
          recounted.push(pods.length ? `${name}: ${pods.length} pods` : `${name}: absent`);
          continue;
        }
        for (const c of counters) {
          kept.push(`${name} ${c.key}: ${ni.countMatching(c)}`);
          recounted.push(`${name} ${c.key}: ${pods.filter((p) => c.matches(p)).length}`);
        }
        kept.push(`${name} terms: ${keptTermCounts(ni).join(" | ")}`);
        recounted.push(`${name} terms: ${termCounts(pods).join(" | ")}`);
        kept.push(`${name} with affinity: ${ni.podsWithAffinity.length}, with required anti-affinity: ${ni.podsWithRequiredAntiAffinity.length}`);
        recounted.push(`${name} with affinity: ${pods.filter((p) => p.requiredAffinity.length + p.requiredAntiAffinity.length + p.preferredAffinity.length + p.preferredAntiAffinity.length > 0).length}, with required anti-affinity: ${pods.filter((p) => p.requiredAntiAffinity.length > 0).length}`);
      }
      expect(kept, `step ${n}: ${log.slice(-3).join("; ")}`).toEqual(recounted);
      if (n % 20 === 19) {
        // The plugins, reading kept counts, conclude what looking at every pod concludes.
        expect(cache.dump()).toEqual(buildCache([...w.nodes.values()], [...w.pods.values()]).dump());
        for (let k = 0; k < 4; k++) {
          const incoming = w.randomPod(`incoming-${n}-${k}`);
          delete incoming.spec.nodeName;
          const app = incoming.metadata.labels.app;
          // Node affinity narrows the domains spreading counts (nodeAffinityPolicy Honor).
          if (k === 2) incoming.spec.nodeSelector = { zone: "a" };
          if (k % 2 === 0) {
            incoming.spec.topologySpreadConstraints = [
              { maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app } } },
              { maxSkew: 2, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app } } },
            ];
          }
          const defaultSelector = labelSelectorFromObject({ matchLabels: { app } });
          const nodes = cache.nodeInfos();
          expect(verdicts(incoming, nodes, defaultSelector), `incoming ${k} after step ${n}`).toEqual(referenceVerdicts(incoming, nodes, defaultSelector));
        }
      }
    }
  });

  it("a counter asked about keeps its count through adds, updates and removals", () => {
    const cache = buildCache([node("n1")], [pod("a", { nodeName: "n1", labels: { app: "web" } }), pod("b", { nodeName: "n1", labels: { app: "db" } })]);
    const web = pts.spreadCounter(labelSelectorFromObject({ matchLabels: { app: "web" } }), "default")!;
    const ni = cache.nodeInfo("n1")!;
    expect(ni.countMatching(web)).toBe(1);
    cache.addOrUpdatePod(pod("c", { nodeName: "n1", labels: { app: "web" } }));
    expect(ni.countMatching(web)).toBe(2);
    cache.addOrUpdatePod(pod("b", { nodeName: "n1", labels: { app: "web" } }));
    expect(ni.countMatching(web)).toBe(3);
    const terminating = pod("a", { nodeName: "n1", labels: { app: "web" } });
    terminating.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
    cache.addOrUpdatePod(terminating);
    expect(ni.countMatching(web)).toBe(2);
    cache.removePod("default/c");
    expect(ni.countMatching(web)).toBe(1);
    // A copy for a preemption trial counts on its own.
    const trial = ni.clone();
    trial.removePod("default/b");
    expect(trial.countMatching(web)).toBe(0);
    expect(ni.countMatching(web)).toBe(1);
  });

  it("counters past the registry's bound are retired and counted afresh; nodes drop them", () => {
    const cache = buildCache([node("n1")], [pod("a", { nodeName: "n1", labels: { app: "web" } })]);
    const ni = cache.nodeInfo("n1")!;
    const first = podCounter("test\u0000first", (p) => p.labels.app === "web");
    expect(ni.countMatching(first)).toBe(1);
    for (let i = 0; i < MAX_COUNTERS; i++) podCounter(`test\u0000filler-${i}`, () => false);
    expect(registeredCounters()).toBe(MAX_COUNTERS);
    expect(first.retired).toBe(true);
    cache.addOrUpdatePod(pod("b", { nodeName: "n1", labels: { app: "web" } }));
    // Retired: no longer kept, yet still answered correctly by looking at the pods.
    expect(ni.countMatching(first)).toBe(2);
    const again = podCounter("test\u0000first", (p) => p.labels.app === "web");
    expect(again).not.toBe(first);
    expect(ni.countMatching(again)).toBe(2);
    const once = transientCounter("test\u0000transient", (p) => p.labels.app === "web");
    expect(ni.countMatching(once)).toBe(2);
    cache.removePod("default/a");
    expect(ni.countMatching(once)).toBe(1);
    expect(ni.countMatching(again)).toBe(1);
  });

  it("pods of one workload share their terms' entry on a node", () => {
    const anti = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: "web" } }, topologyKey: "kubernetes.io/hostname" } }] } };
    const cache = buildCache([node("n1")], [0, 1, 2].map((i) => pod(`w${i}`, { nodeName: "n1", labels: { app: "web" }, affinity: anti })));
    const ni = cache.nodeInfo("n1")!;
    expect([...ni.affinityTerms.values()].map((tc) => [tc.kind, tc.weight, tc.count])).toEqual([["preferredAntiAffinity", 100, 3]]);
    cache.removePod("default/w0");
    cache.removePod("default/w1");
    cache.removePod("default/w2");
    expect(ni.affinityTerms.size).toBe(0);
  });
});
