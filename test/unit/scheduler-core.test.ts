import { describe, expect, it } from "vitest";
import { Code, type FilterPlugin } from "../../src/scheduler/framework";
import { buildProfile, DEFAULT_PLUGINS, inTreeRegistry, Registry } from "../../src/scheduler/plugins/registry";
import { fitErrorMessage, numFeasibleNodesToFind, schedulePod, selectHost, type ScheduleFailure, type ScheduleSuccess } from "../../src/scheduler/scheduler";
import { infos, node, pod } from "./scheduler-helpers";

const zero = () => 0;

describe("failure messages", () => {
  it("a mixed cluster: reasons counted and sorted, then the preemption verdict", () => {
    const nodes = [node("n1", { cpu: "4", labels: { disk: "ssd" } }), node("n2", { cpu: "8" }), node("n3", { cpu: "8" })];
    const bound = [pod("busy", { nodeName: "n1", requests: { cpu: "3" } })];
    const r = schedulePod(pod("p", { requests: { cpu: "2" }, nodeSelector: { disk: "ssd" } }), infos(nodes, bound), { random: zero }) as ScheduleFailure;
    expect(r.unschedulable).toBe(true);
    expect(r.message).toBe(
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );
    expect(r.preemptionCandidates).toEqual([]);
  });

  it("all nodes short of cpu", () => {
    const r = schedulePod(pod("p", { requests: { cpu: "5" } }), infos([node("a"), node("b"), node("c")], [pod("x", { nodeName: "a", requests: { cpu: "1" } }), pod("y", { nodeName: "b", requests: { cpu: "1" } }), pod("z", { nodeName: "c", requests: { cpu: "1" } })]), { random: zero }) as ScheduleFailure;
    // 5 cpu is more than any node's 4; v1.32 still runs the preemption dry run, which finds no lower-priority pods.
    expect(r.message).toBe("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
    const r2 = schedulePod(pod("p", { requests: { cpu: "3500m" } }), infos([node("a"), node("b")], [pod("x", { nodeName: "a", requests: { cpu: "1" } }), pod("y", { nodeName: "b", requests: { cpu: "1" } })]), { random: zero }) as ScheduleFailure;
    expect(r2.message).toBe("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
  });

  it("several reasons from one node each count", () => {
    const r = schedulePod(pod("p", { requests: { cpu: "3", memory: "7Gi" } }), infos([node("a")], [pod("x", { nodeName: "a", requests: { cpu: "2", memory: "2Gi" } })]), { random: zero }) as ScheduleFailure;
    expect(r.message).toBe("0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.");
  });

  it("taints, cordons and anti-affinity", () => {
    const nodes = [node("a", { taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }), node("b", { unschedulable: true }), node("c"), node("d")];
    const web = (n: string) => pod(`w-${n}`, { labels: { app: "web" }, nodeName: n });
    const p = pod("p", { labels: { app: "web" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "web" } }, topologyKey: "kubernetes.io/hostname" }] } } });
    const r = schedulePod(p, infos(nodes, [web("c"), web("d")]), { random: zero }) as ScheduleFailure;
    expect(r.message).toBe(
      "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable, 2 node(s) didn't match pod anti-affinity rules. preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );
  });

  it("preemptionPolicy Never", () => {
    const p = pod("p", { requests: { cpu: "3500m" } });
    p.spec.preemptionPolicy = "Never";
    const r = schedulePod(p, infos([node("a")], [pod("x", { nodeName: "a", requests: { cpu: "1" } })])) as ScheduleFailure;
    expect(r.message).toBe("0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.");
  });

  it("lower-priority pods: a candidate (no preemption part), or what still fails without them", () => {
    const nodes = [node("a")];
    const low = pod("low", { nodeName: "a", requests: { cpu: "3" }, priority: 0 });
    const r = schedulePod(pod("p", { requests: { cpu: "2" }, priority: 100 }), infos(nodes, [low])) as ScheduleFailure;
    expect(r.message).toBe("0/1 nodes are available: 1 Insufficient cpu.");
    expect(r.preemptionCandidates).toEqual(["a"]);
    const high = pod("high", { nodeName: "a", requests: { cpu: "2500m" }, priority: 1000 });
    const low2 = pod("low", { nodeName: "a", requests: { cpu: "1" }, priority: 0 });
    const r2 = schedulePod(pod("p", { requests: { cpu: "2" }, priority: 100 }), infos(nodes, [high, low2])) as ScheduleFailure;
    expect(r2.message).toBe("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.");
  });

  it("nodes a PreFilter left out count under its reason", () => {
    const p = pod("p", { requests: { cpu: "10" }, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["a"] }] }] } } } });
    const r = schedulePod(p, infos([node("a"), node("b"), node("c")])) as ScheduleFailure;
    expect(r.message).toBe("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.");
    const p2 = pod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["zz"] }] }] } } } });
    expect((schedulePod(p2, infos([node("a"), node("b")])) as ScheduleFailure).message).toBe(
      "0/2 nodes are available: 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
    );
  });

  it("fitErrorMessage sorts by the whole string, as upstream", () => {
    const s = (r: string) => ({ code: Code.Unschedulable, reasons: [r], plugin: "x" });
    const m = new Map([["a", s("Insufficient cpu")], ["b", s("Insufficient cpu")], ["c", s("Too many pods")], ["d", s("Insufficient cpu")], ["e", s("Insufficient cpu")], ["f", s("Insufficient cpu")], ["g", s("Insufficient cpu")], ["h", s("Insufficient cpu")], ["i", s("Insufficient cpu")], ["j", s("Insufficient cpu")], ["k", s("Insufficient cpu")]]);
    expect(fitErrorMessage(11, m)).toBe("0/11 nodes are available: 1 Too many pods, 10 Insufficient cpu.");
  });
});

describe("selection", () => {
  it("prefers the least loaded node", () => {
    const r = schedulePod(pod("p", { requests: { cpu: "500m", memory: "512Mi" } }), infos([node("a"), node("b")], [pod("x", { nodeName: "a", requests: { cpu: "2", memory: "4Gi" } })]), { random: zero }) as ScheduleSuccess;
    expect(r.node).toBe("b");
    expect(r.scores.find((s) => s.name === "b")!.total).toBeGreaterThan(r.scores.find((s) => s.name === "a")!.total);
  });

  it("breaks ties with the injected random function", () => {
    const nodes = infos([node("a"), node("b"), node("c")]);
    // Reservoir sampling: random() < 1/k replaces the pick at the k-th tie.
    expect((schedulePod(pod("p"), nodes, { random: () => 0 }) as ScheduleSuccess).node).toBe("c");
    expect((schedulePod(pod("p"), nodes, { random: () => 0.99 }) as ScheduleSuccess).node).toBe("a");
    expect(selectHost([{ name: "x", total: 1 }, { name: "y", total: 5 }, { name: "z", total: 5 }], () => 0.6)).toBe("y");
  });

  it("honors preferred node affinity and taint preferences over balance", () => {
    const nodes = infos([node("a", { taints: [{ key: "soft", effect: "PreferNoSchedule" }] }), node("b")]);
    expect((schedulePod(pod("p"), nodes, { random: zero }) as ScheduleSuccess).node).toBe("b");
  });

  it("one feasible node skips scoring", () => {
    const r = schedulePod(pod("p", { nodeSelector: { only: "me" } }), infos([node("a", { labels: { only: "me" } }), node("b")]), { random: zero }) as ScheduleSuccess;
    expect(r).toMatchObject({ node: "a", scores: [], feasible: 1 });
  });

  it("looks at an adaptive share of a large cluster, from a rotating start", () => {
    expect(numFeasibleNodesToFind(50)).toBe(50);
    expect(numFeasibleNodesToFind(150)).toBe(100);
    expect(numFeasibleNodesToFind(1000)).toBe(420);
    expect(numFeasibleNodesToFind(5000)).toBe(500);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
    const nodes = infos(Array.from({ length: 300 }, (_, i) => node(`n${String(i).padStart(3, "0")}`)));
    const cursor = { next: 0 };
    const r = schedulePod(pod("p"), nodes, { random: zero, cursor }) as ScheduleSuccess;
    // 300 nodes: (50 − 300/125)% = 48% → 144 feasible nodes are enough.
    expect(r.evaluated).toBe(144);
    expect(cursor.next).toBe(144);
    schedulePod(pod("p"), nodes, { random: zero, cursor });
    expect(cursor.next).toBe(288);
    schedulePod(pod("p"), nodes, { random: zero, cursor });
    expect(cursor.next).toBe(132);
  });
});

describe("registry", () => {
  it("rejects duplicate names", () => {
    const r = new Registry();
    const f = (): FilterPlugin => ({ name: "X", filter: () => null });
    r.register("X", f);
    expect(() => r.register("X", f)).toThrow(/already exists/);
    expect(() => buildProfile([{ name: "NodeName" }, { name: "NodeName" }])).toThrow(/configured twice/);
    expect(() => buildProfile([{ name: "Nope" }])).toThrow(/no plugin/);
  });

  it("default profile: upstream order and weights", () => {
    expect(inTreeRegistry().names()).toHaveLength(10);
    const p = buildProfile(DEFAULT_PLUGINS);
    expect(p.filter.map((x) => x.name)).toEqual(["NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit", "PodTopologySpread", "InterPodAffinity"]);
    expect(Object.fromEntries(p.score.map((s) => [s.plugin.name, s.weight]))).toEqual({
      TaintToleration: 3,
      NodeAffinity: 2,
      NodeResourcesFit: 1,
      PodTopologySpread: 2,
      InterPodAffinity: 2,
      NodeResourcesBalancedAllocation: 1,
      ImageLocality: 1,
    });
  });
});
