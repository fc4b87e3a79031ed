import { describe, expect, it } from "vitest";
import { Code, podRequests } from "../../src/scheduler/framework";
import * as imageLocality from "../../src/scheduler/plugins/image-locality";
import * as ipa from "../../src/scheduler/plugins/inter-pod-affinity";
import * as nodeAffinity from "../../src/scheduler/plugins/node-affinity";
import * as nodeName from "../../src/scheduler/plugins/node-name";
import * as nodePorts from "../../src/scheduler/plugins/node-ports";
import * as balanced from "../../src/scheduler/plugins/node-resources-balanced-allocation";
import * as fit from "../../src/scheduler/plugins/node-resources-fit";
import * as nodeUnschedulable from "../../src/scheduler/plugins/node-unschedulable";
import * as pts from "../../src/scheduler/plugins/pod-topology-spread";
import * as taints from "../../src/scheduler/plugins/taint-toleration";
import { infoOf, infos, node, pi, pod, state } from "./scheduler-helpers";

type Obj = Record<string, any>;
const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

describe("pod requests", () => {
  const cases: { name: string; pod: Obj; cpu: number; memory: number }[] = [
    { name: "requests", pod: pod("p", { requests: { cpu: "250m", memory: "64Mi" } }), cpu: 250, memory: 64 * Mi },
    { name: "limits only stand in for requests", pod: pod("p", { limits: { cpu: "1", memory: "1Gi" } }), cpu: 1000, memory: Gi },
    { name: "requests win over limits", pod: pod("p", { requests: { cpu: "100m" }, limits: { cpu: "2" } }), cpu: 100, memory: 0 },
    {
      name: "init container larger than the app containers",
      pod: pod("p", { containers: [{ name: "a", resources: { requests: { cpu: "200m" } } }, { name: "b", resources: { requests: { cpu: "300m" } } }], initContainers: [{ name: "i", resources: { requests: { cpu: "1" } } }] }),
      cpu: 1000,
      memory: 0,
    },
    {
      name: "init container smaller than the app containers",
      pod: pod("p", { containers: [{ name: "a", resources: { requests: { cpu: "700m" } } }], initContainers: [{ name: "i", resources: { requests: { cpu: "500m" } } }] }),
      cpu: 700,
      memory: 0,
    },
    {
      name: "sidecars add to the app and to later init containers",
      pod: pod("p", {
        containers: [{ name: "a", resources: { requests: { cpu: "100m" } } }],
        initContainers: [
          { name: "sidecar", restartPolicy: "Always", resources: { requests: { cpu: "200m" } } },
          { name: "migrate", resources: { requests: { cpu: "500m" } } },
        ],
      }),
      // app + sidecar = 300m; init phase: migrate 500m + sidecar 200m = 700m.
      cpu: 700,
      memory: 0,
    },
    {
      name: "sidecar after a big init container",
      pod: pod("p", {
        containers: [{ name: "a", resources: { requests: { cpu: "1" } } }],
        initContainers: [
          { name: "init", resources: { requests: { cpu: "600m" } } },
          { name: "sidecar", restartPolicy: "Always", resources: { requests: { cpu: "300m" } } },
        ],
      }),
      cpu: 1300,
      memory: 0,
    },
    { name: "overhead", pod: pod("p", { requests: { cpu: "100m", memory: "10Mi" }, overhead: { cpu: "250m", memory: "120Mi" } }), cpu: 350, memory: 130 * Mi },
  ];
  it.each(cases)("$name", (c) => {
    const r = podRequests(c.pod);
    expect(r.milliCPU).toBe(c.cpu);
    expect(r.memory).toBe(c.memory);
  });

  it("non-zero defaults apply per container for scoring only", () => {
    const p = pod("p", { containers: [{ name: "a" }, { name: "b", resources: { requests: { cpu: "50m" } } }] });
    expect(podRequests(p).milliCPU).toBe(50);
    const nz = podRequests(p, true);
    expect(nz.milliCPU).toBe(150);
    expect(nz.memory).toBe(400 * Mi);
  });
});

describe("NodeResourcesFit filter", () => {
  const n = node("n1", { cpu: "2", memory: "4Gi", pods: "3" });
  const bound = [pod("b1", { nodeName: "n1", requests: { cpu: "1", memory: "1Gi" } })];
  const cases: { name: string; pod: Obj; bound?: Obj[]; code?: number; reasons?: string[] }[] = [
    { name: "fits", pod: pod("p", { requests: { cpu: "1", memory: "1Gi" } }), bound },
    { name: "insufficient cpu", pod: pod("p", { requests: { cpu: "1500m" } }), bound, code: Code.Unschedulable, reasons: ["Insufficient cpu"] },
    { name: "insufficient cpu and memory", pod: pod("p", { requests: { cpu: "1500m", memory: "3500Mi" } }), bound, code: Code.Unschedulable, reasons: ["Insufficient cpu", "Insufficient memory"] },
    { name: "limits-only requests count", pod: pod("p", { limits: { cpu: "1500m" } }), bound, code: Code.Unschedulable, reasons: ["Insufficient cpu"] },
    { name: "larger than the whole node is still Unschedulable (v1.32)", pod: pod("p", { requests: { cpu: "3" } }), code: Code.Unschedulable, reasons: ["Insufficient cpu"] },
    { name: "init container counts", pod: pod("p", { requests: { cpu: "100m" }, initContainers: [{ name: "i", resources: { requests: { cpu: "1500m" } } }] }), bound, code: Code.Unschedulable, reasons: ["Insufficient cpu"] },
    { name: "overhead counts", pod: pod("p", { requests: { cpu: "900m" }, overhead: { cpu: "200m" } }), bound, code: Code.Unschedulable, reasons: ["Insufficient cpu"] },
    { name: "ephemeral storage", pod: pod("p", { requests: { "ephemeral-storage": "200Gi" } }), code: Code.Unschedulable, reasons: ["Insufficient ephemeral-storage"] },
    { name: "extended resource missing", pod: pod("p", { requests: { "example.com/gpu": "1" } }), code: Code.Unschedulable, reasons: ["Insufficient example.com/gpu"] },
    {
      name: "too many pods",
      pod: pod("p"),
      bound: [pod("b1", { nodeName: "n1" }), pod("b2", { nodeName: "n1" }), pod("b3", { nodeName: "n1" })],
      code: Code.Unschedulable,
      reasons: ["Too many pods"],
    },
    { name: "finished pods free their room", pod: pod("p", { requests: { cpu: "2" } }), bound: [pod("done", { nodeName: "n1", requests: { cpu: "2" }, phase: "Succeeded" })] },
  ];
  it.each(cases)("$name", (c) => {
    const s = fit.filter(undefined, pi(c.pod), infoOf(n, c.bound ?? []));
    if (c.code === undefined) expect(s).toBeNull();
    else expect(s).toEqual({ code: c.code, reasons: c.reasons, plugin: "NodeResourcesFit" });
  });
});

describe("resource scores", () => {
  it("LeastAllocated uses non-zero requests and averages cpu and memory", () => {
    const n = node("n1", { cpu: "4", memory: "10Gi" });
    // cpu (1000+0)/4000 used → 75; memory 2.5Gi/10Gi used → 75.
    expect(fit.score(undefined, pi(pod("p", { requests: { cpu: "1", memory: "2560Mi" } })), infoOf(n))).toBe(75);
    // A best-effort pod counts as 100m and 200Mi: cpu 97, memory 98 → 97.
    expect(fit.score(undefined, pi(pod("p")), infoOf(n))).toBe(97);
    expect(fit.leastRequestedScore(5, 4)).toBe(0);
  });

  const bcases: { name: string; req: number[]; alloc: number[]; want: number }[] = [
    { name: "equal fractions", req: [1000, 2 * Gi], alloc: [4000, 8 * Gi], want: 100 },
    { name: "skewed", req: [3000, 0], alloc: [4000, 8 * Gi], want: 62 },
    { name: "over capacity caps at 1", req: [8000, 0], alloc: [4000, 8 * Gi], want: 50 },
    { name: "missing resource is left out", req: [1000, 0], alloc: [4000, 0], want: 100 },
  ];
  it.each(bcases)("BalancedAllocation: $name", (c) => {
    expect(balanced.balancedScore(c.req, c.alloc)).toBe(c.want);
  });

  it("BalancedAllocation includes bound pods' requests", () => {
    const n = node("n1", { cpu: "4", memory: "8Gi" });
    const ni = infoOf(n, [pod("b", { nodeName: "n1", requests: { cpu: "2" } })]);
    // cpu 3000/4000 = .75, memory 0 → std .375 → 62.
    expect(balanced.score(undefined, pi(pod("p", { requests: { cpu: "1" } })), ni)).toBe(62);
  });
});

describe("NodeUnschedulable and NodeName", () => {
  const cases: { name: string; node: Obj; pod: Obj; ok: boolean }[] = [
    { name: "schedulable node", node: node("n1"), pod: pod("p"), ok: true },
    { name: "cordoned node", node: node("n1", { unschedulable: true }), pod: pod("p"), ok: false },
    { name: "cordoned node, tolerated", node: node("n1", { unschedulable: true }), pod: pod("p", { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }] }), ok: true },
    { name: "cordoned node, toleration for another effect", node: node("n1", { unschedulable: true }), pod: pod("p", { tolerations: [{ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoExecute" }] }), ok: false },
  ];
  it.each(cases)("NodeUnschedulable: $name", (c) => {
    const s = nodeUnschedulable.filter(undefined, pi(c.pod), infoOf(c.node));
    expect(s === null).toBe(c.ok);
    if (!c.ok) expect(s).toEqual({ code: Code.UnschedulableAndUnresolvable, reasons: ["node(s) were unschedulable"], plugin: "NodeUnschedulable" });
  });

  it("NodeName", () => {
    const p = pod("p");
    p.spec.nodeName = "n2";
    expect(nodeName.filter(undefined, pi(p), infoOf(node("n1")))?.reasons).toEqual(["node(s) didn't match the requested node name"]);
    expect(nodeName.filter(undefined, pi(p), infoOf(node("n2")))).toBeNull();
    expect(nodeName.filter(undefined, pi(pod("q")), infoOf(node("n1")))).toBeNull();
  });
});

describe("TaintToleration", () => {
  const t = (key: string, effect: string, value?: string) => ({ key, effect, ...(value !== undefined ? { value } : {}) });
  const cases: { name: string; taints: Obj[]; tolerations?: Obj[]; reason?: string }[] = [
    { name: "no taints", taints: [] },
    { name: "NoSchedule untolerated", taints: [t("dedicated", "NoSchedule", "gpu")], reason: "node(s) had untolerated taint {dedicated: gpu}" },
    { name: "NoExecute untolerated", taints: [t("node.kubernetes.io/unreachable", "NoExecute")], reason: "node(s) had untolerated taint {node.kubernetes.io/unreachable: }" },
    { name: "PreferNoSchedule does not filter", taints: [t("soft", "PreferNoSchedule")] },
    { name: "Equal toleration", taints: [t("dedicated", "NoSchedule", "gpu")], tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] },
    { name: "Equal toleration, other value", taints: [t("dedicated", "NoSchedule", "gpu")], tolerations: [{ key: "dedicated", value: "db", effect: "NoSchedule" }], reason: "node(s) had untolerated taint {dedicated: gpu}" },
    { name: "Exists toleration without effect", taints: [t("dedicated", "NoExecute", "gpu")], tolerations: [{ key: "dedicated", operator: "Exists" }] },
    { name: "Exists with empty key tolerates everything", taints: [t("a", "NoSchedule"), t("b", "NoExecute")], tolerations: [{ operator: "Exists" }] },
    { name: "effect mismatch", taints: [t("dedicated", "NoExecute", "gpu")], tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }], reason: "node(s) had untolerated taint {dedicated: gpu}" },
    { name: "second taint untolerated", taints: [t("a", "NoSchedule"), t("b", "NoSchedule", "x")], tolerations: [{ key: "a", operator: "Exists" }], reason: "node(s) had untolerated taint {b: x}" },
  ];
  it.each(cases)("filter: $name", (c) => {
    const s = taints.filter(undefined, pi(pod("p", { tolerations: c.tolerations })), infoOf(node("n1", { taints: c.taints })));
    if (!c.reason) expect(s).toBeNull();
    else expect(s).toEqual({ code: Code.UnschedulableAndUnresolvable, reasons: [c.reason], plugin: "TaintToleration" });
  });

  it("score: fewer untolerated PreferNoSchedule taints score higher (reversed, normalized)", () => {
    const nodes = [node("n0"), node("n1", { taints: [t("a", "PreferNoSchedule")] }), node("n2", { taints: [t("a", "PreferNoSchedule"), t("b", "PreferNoSchedule")] })];
    const p = pi(pod("p", { tolerations: [{ key: "b", operator: "Exists", effect: "NoSchedule" }] }));
    const raw = infos(nodes).map((ni) => taints.score(undefined, p, ni));
    expect(raw).toEqual([0, 1, 2]);
    taints.normalize(undefined, p, raw);
    expect(raw).toEqual([100, 50, 0]);
    // A PreferNoSchedule (or effect-less) toleration removes the penalty.
    const tolerant = pi(pod("p", { tolerations: [{ key: "b", operator: "Exists", effect: "PreferNoSchedule" }] }));
    expect(infos(nodes).map((ni) => taints.score(undefined, tolerant, ni))).toEqual([0, 1, 1]);
  });
});

describe("NodeAffinity", () => {
  const n = node("n1", { labels: { zone: "a", gen: "5", disk: "ssd" } });
  const req = (...matchExpressions: Obj[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } });
  const cases: { name: string; pod: Obj; ok: boolean }[] = [
    { name: "no constraints", pod: pod("p"), ok: true },
    { name: "nodeSelector match", pod: pod("p", { nodeSelector: { zone: "a" } }), ok: true },
    { name: "nodeSelector mismatch", pod: pod("p", { nodeSelector: { zone: "b" } }), ok: false },
    { name: "In", pod: pod("p", { affinity: req({ key: "zone", operator: "In", values: ["a", "b"] }) }), ok: true },
    { name: "In, absent key", pod: pod("p", { affinity: req({ key: "rack", operator: "In", values: ["a"] }) }), ok: false },
    { name: "NotIn", pod: pod("p", { affinity: req({ key: "zone", operator: "NotIn", values: ["a"] }) }), ok: false },
    { name: "NotIn, absent key", pod: pod("p", { affinity: req({ key: "rack", operator: "NotIn", values: ["a"] }) }), ok: true },
    { name: "Exists", pod: pod("p", { affinity: req({ key: "disk", operator: "Exists" }) }), ok: true },
    { name: "DoesNotExist", pod: pod("p", { affinity: req({ key: "disk", operator: "DoesNotExist" }) }), ok: false },
    { name: "Gt", pod: pod("p", { affinity: req({ key: "gen", operator: "Gt", values: ["4"] }) }), ok: true },
    { name: "Gt, equal", pod: pod("p", { affinity: req({ key: "gen", operator: "Gt", values: ["5"] }) }), ok: false },
    { name: "Lt", pod: pod("p", { affinity: req({ key: "gen", operator: "Lt", values: ["6"] }) }), ok: true },
    { name: "Lt, not an integer label", pod: pod("p", { affinity: req({ key: "zone", operator: "Lt", values: ["6"] }) }), ok: false },
    { name: "expressions are ANDed", pod: pod("p", { affinity: req({ key: "zone", operator: "In", values: ["a"] }, { key: "disk", operator: "In", values: ["hdd"] }) }), ok: false },
    {
      name: "terms are ORed",
      pod: pod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z"] }] }, { matchExpressions: [{ key: "disk", operator: "Exists" }] }] } } } }),
      ok: true,
    },
    { name: "empty term matches nothing", pod: pod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }), ok: false },
    { name: "matchFields metadata.name In", pod: pod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1"] }] }] } } } }), ok: true },
    { name: "matchFields metadata.name NotIn", pod: pod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "NotIn", values: ["n1"] }] }] } } } }), ok: false },
    { name: "nodeSelector and affinity both apply", pod: pod("p", { nodeSelector: { zone: "b" }, affinity: req({ key: "disk", operator: "Exists" }) }), ok: false },
  ];
  it.each(cases)("filter: $name", (c) => {
    const s = nodeAffinity.filter(undefined, pi(c.pod), infoOf(n));
    expect(s === null).toBe(c.ok);
    if (!c.ok) expect(s).toEqual({ code: Code.UnschedulableAndUnresolvable, reasons: ["node(s) didn't match Pod's node affinity/selector"], plugin: "NodeAffinity" });
  });

  it("preFilter narrows to the nodes named by matchFields", () => {
    const p = pod("p", { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["n1", "n3"] }] }] } } } });
    expect(nodeAffinity.preFilter(undefined, pi(p))?.nodeNames).toEqual(new Set(["n1", "n3"]));
    expect(nodeAffinity.preFilter(undefined, pi(pod("q")))).toBeNull();
  });

  it("score: preferred weights summed, then scaled to the best node", () => {
    const p = pi(
      pod("p", {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 20, preference: { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] } },
              { weight: 60, preference: { matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }] } },
            ],
          },
        },
      }),
    );
    const nodes = infos([node("a-ssd", { labels: { zone: "a", disk: "ssd" } }), node("a", { labels: { zone: "a" } }), node("none")]);
    const raw = nodes.map((ni) => nodeAffinity.score(undefined, p, ni));
    expect(raw).toEqual([80, 20, 0]);
    nodeAffinity.normalize(undefined, p, raw);
    expect(raw).toEqual([100, 25, 0]);
  });
});

describe("NodePorts", () => {
  const bound = (ports: Obj[]) => [pod("b", { nodeName: "n1", containers: [{ name: "c", ports }] })];
  const cases: { name: string; want: Obj[]; used: Obj[]; ok: boolean }[] = [
    { name: "free", want: [{ hostPort: 80 }], used: [{ hostPort: 8080 }], ok: true },
    { name: "same port", want: [{ hostPort: 80 }], used: [{ hostPort: 80 }], ok: false },
    { name: "other protocol", want: [{ hostPort: 53, protocol: "UDP" }], used: [{ hostPort: 53, protocol: "TCP" }], ok: true },
    { name: "different specific IPs", want: [{ hostPort: 80, hostIP: "10.0.0.1" }], used: [{ hostPort: 80, hostIP: "10.0.0.2" }], ok: true },
    { name: "wildcard against a specific IP", want: [{ hostPort: 80 }], used: [{ hostPort: 80, hostIP: "10.0.0.2" }], ok: false },
    { name: "specific IP against the wildcard", want: [{ hostPort: 80, hostIP: "10.0.0.1" }], used: [{ hostPort: 80 }], ok: false },
    { name: "port without hostPort", want: [{ containerPort: 80 }], used: [{ hostPort: 80 }], ok: true },
  ];
  it.each(cases)("$name", (c) => {
    const p = pod("p", { containers: [{ name: "c", ports: c.want }] });
    const s = nodePorts.filter(undefined, pi(p), infoOf(node("n1"), bound(c.used)));
    expect(s === null).toBe(c.ok);
    if (!c.ok) expect(s).toEqual({ code: Code.Unschedulable, reasons: ["node(s) didn't have free ports for the requested pod ports"], plugin: "NodePorts" });
  });

  it("sidecar host ports count, plain init containers' do not", () => {
    const p = pod("p", { initContainers: [{ name: "i", ports: [{ hostPort: 81 }] }, { name: "s", restartPolicy: "Always", ports: [{ hostPort: 82 }] }] });
    expect(pi(p).hostPorts.map((h) => h.port)).toEqual([82]);
  });
});

describe("ImageLocality", () => {
  it("normalizes image names", () => {
    expect(imageLocality.normalizedImageName("nginx")).toBe("nginx:latest");
    expect(imageLocality.normalizedImageName("registry:5000/nginx")).toBe("registry:5000/nginx:latest");
    expect(imageLocality.normalizedImageName("nginx:1.25")).toBe("nginx:1.25");
  });

  it("scores by size scaled by the share of nodes holding the image", () => {
    const big = { names: ["big:1"], sizeBytes: 500 * Mi };
    const nodes = infos([node("n1", { images: [big] }), node("n2", { images: [big] }), node("n3"), node("n4")]);
    const p = pi(pod("p", { image: "big:1" }));
    const st = state();
    imageLocality.plugin().preScore(st, p, nodes, nodes);
    // 500Mi × 2/4 = 250Mi; (250 - 23) × 100 / (1000 - 23) = 23.
    expect(nodes.map((ni) => imageLocality.score(st, p, ni))).toEqual([23, 23, 0, 0]);
  });

  const cases: { name: string; sum: number; n: number; want: number }[] = [
    { name: "below the minimum", sum: 10 * Mi, n: 1, want: 0 },
    { name: "at the maximum", sum: 1000 * Mi, n: 1, want: 100 },
    { name: "over the maximum", sum: 5000 * Mi, n: 1, want: 100 },
    { name: "two containers", sum: 1000 * Mi, n: 2, want: 49 },
  ];
  it.each(cases)("calculatePriority: $name", (c) => {
    expect(imageLocality.calculatePriority(c.sum, c.n)).toBe(c.want);
  });
});

describe("InterPodAffinity", () => {
  const zones = [node("a1", { labels: { zone: "a" } }), node("a2", { labels: { zone: "a" } }), node("b1", { labels: { zone: "b" } }), node("nolabel")];
  const term = (app: string, topologyKey: string) => ({ labelSelector: { matchLabels: { app } }, topologyKey });
  const run = (p: Obj, bound: Obj[]) => {
    const nodes = infos(zones, bound);
    const st = state();
    const podInfo = pi(p);
    ipa.preFilter(st, podInfo, nodes);
    return Object.fromEntries(nodes.map((ni) => [ni.name, ipa.filter(st, podInfo, ni)?.reasons[0] ?? "ok"]));
  };
  const db = pod("db", { labels: { app: "db" }, nodeName: "a1" });

  it("required affinity by zone", () => {
    const p = pod("web", { labels: { app: "web" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "zone")] } } });
    expect(run(p, [db])).toEqual({ a1: "ok", a2: "ok", b1: ipa.ERR_REASON_AFFINITY, nolabel: ipa.ERR_REASON_AFFINITY });
  });

  it("required affinity by hostname", () => {
    const p = pod("web", { labels: { app: "web" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "kubernetes.io/hostname")] } } });
    expect(run(p, [db])).toEqual({ a1: "ok", a2: ipa.ERR_REASON_AFFINITY, b1: ipa.ERR_REASON_AFFINITY, nolabel: ipa.ERR_REASON_AFFINITY });
  });

  it("the first pod of a self-affine group may go anywhere with the label", () => {
    const p = pod("web", { labels: { app: "web" }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "zone")] } } });
    expect(run(p, [])).toEqual({ a1: "ok", a2: "ok", b1: "ok", nolabel: ipa.ERR_REASON_AFFINITY });
  });

  it("affinity to pods in another namespace only when the term names it", () => {
    const other = pod("db", { namespace: "data", labels: { app: "db" }, nodeName: "b1" });
    const p = pod("web", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "zone")] } } });
    expect(run(p, [other]).b1).toBe(ipa.ERR_REASON_AFFINITY);
    const p2 = pod("web", { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ ...term("db", "zone"), namespaces: ["data"] }] } } });
    expect(run(p2, [other])).toEqual({ a1: ipa.ERR_REASON_AFFINITY, a2: ipa.ERR_REASON_AFFINITY, b1: "ok", nolabel: ipa.ERR_REASON_AFFINITY });
  });

  it("required anti-affinity by zone", () => {
    const p = pod("web", { labels: { app: "web" }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("db", "zone")] } } });
    expect(run(p, [db])).toEqual({ a1: ipa.ERR_REASON_ANTI_AFFINITY, a2: ipa.ERR_REASON_ANTI_AFFINITY, b1: "ok", nolabel: "ok" });
  });

  it("existing pods' anti-affinity", () => {
    const guard = pod("guard", { labels: { app: "guard" }, nodeName: "b1", affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "kubernetes.io/hostname")] } } });
    expect(run(pod("web", { labels: { app: "web" } }), [guard])).toEqual({ a1: "ok", a2: "ok", b1: ipa.ERR_REASON_EXISTING_ANTI_AFFINITY, nolabel: "ok" });
    expect(run(pod("other", { labels: { app: "other" } }), [guard]).b1).toBe("ok");
  });

  it("score: preferred affinity and anti-affinity by zone, min-max normalized", () => {
    const p = pi(
      pod("web", {
        labels: { app: "web" },
        affinity: {
          podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term("db", "zone") }] },
          podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: term("cache", "zone") }] },
        },
      }),
    );
    const nodes = infos(zones, [db, pod("cache", { labels: { app: "cache" }, nodeName: "b1" })]);
    const st = state();
    expect(ipa.preScore(st, p, nodes, nodes)).toBeNull();
    const raw = nodes.map((ni) => ipa.score(st, p, ni));
    expect(raw).toEqual([10, 10, -5, 0]);
    ipa.normalize(st, p, raw);
    expect(raw).toEqual([100, 100, 0, 33]);
  });

  it("score: an existing pod's required affinity attracts the pods it selects", () => {
    const follower = pod("f", { labels: { app: "f" }, nodeName: "b1", affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term("web", "zone")] } } });
    const nodes = infos(zones, [follower]);
    const p = pi(pod("web", { labels: { app: "web" } }));
    const st = state();
    ipa.preScore(st, p, nodes, nodes);
    expect(nodes.map((ni) => ipa.score(st, p, ni))).toEqual([0, 0, 1, 0]);
  });
});

describe("PodTopologySpread", () => {
  const zoneNodes = [node("a1", { labels: { zone: "a" } }), node("a2", { labels: { zone: "a" } }), node("b1", { labels: { zone: "b" } }), node("c1", { labels: { zone: "c" } }), node("nolabel")];
  const web = (name: string, nodeName?: string) => pod(name, { labels: { app: "web" }, nodeName });
  const spread = (extra: Obj = {}) => pod("new", { labels: { app: "web" }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "web" } }, ...extra }] });
  const run = (p: Obj, bound: Obj[], nodes = zoneNodes) => {
    const nis = infos(nodes, bound);
    const st = state();
    const podInfo = pi(p);
    pts.preFilter(st, podInfo, nis);
    return Object.fromEntries(nis.map((ni) => [ni.name, pts.filter(st, podInfo, ni)?.reasons[0] ?? "ok"]));
  };

  const cases: { name: string; pod: Obj; bound: Obj[]; want: Record<string, string> }[] = [
    {
      name: "maxSkew 1: only the emptiest zones",
      pod: spread(),
      bound: [web("w1", "a1"), web("w2", "b1")],
      want: { a1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, a2: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, b1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, c1: "ok", nolabel: pts.ERR_REASON_NODE_LABEL_NOT_MATCH },
    },
    {
      name: "maxSkew 2 allows one more",
      pod: spread({ maxSkew: 2 }),
      bound: [web("w1", "a1"), web("w2", "a2")],
      want: { a1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, a2: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, b1: "ok", c1: "ok", nolabel: pts.ERR_REASON_NODE_LABEL_NOT_MATCH },
    },
    {
      name: "pods of other apps and namespaces do not count",
      pod: spread(),
      bound: [pod("x", { labels: { app: "x" }, nodeName: "a1" }), pod("y", { namespace: "other", labels: { app: "web" }, nodeName: "a1" })],
      want: { a1: "ok", a2: "ok", b1: "ok", c1: "ok", nolabel: pts.ERR_REASON_NODE_LABEL_NOT_MATCH },
    },
    {
      name: "minDomains above the domain count treats the global minimum as 0",
      pod: spread({ minDomains: 4 }),
      bound: [web("w1", "a1"), web("w2", "b1"), web("w3", "c1")],
      want: { a1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, a2: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, b1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, c1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, nolabel: pts.ERR_REASON_NODE_LABEL_NOT_MATCH },
    },
    {
      name: "minDomains satisfied: normal skew",
      pod: spread({ minDomains: 3 }),
      bound: [web("w1", "a1"), web("w2", "b1"), web("w3", "c1")],
      want: { a1: "ok", a2: "ok", b1: "ok", c1: "ok", nolabel: pts.ERR_REASON_NODE_LABEL_NOT_MATCH },
    },
  ];
  it.each(cases)("filter: $name", (c) => {
    expect(run(c.pod, c.bound)).toEqual(c.want);
  });

  it("nodeAffinityPolicy Honor (default) leaves nodes the pod cannot use out of the domains", () => {
    // Zone c is excluded by the pod's nodeSelector, so its zero count is not the minimum.
    const p = spread();
    p.spec.nodeSelector = { pool: "main" };
    const nodes = [node("a1", { labels: { zone: "a", pool: "main" } }), node("b1", { labels: { zone: "b", pool: "main" } }), node("c1", { labels: { zone: "c" } })];
    expect(run(p, [web("w1", "a1")], nodes)).toEqual({ a1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, b1: "ok", c1: "ok" });
    const p2 = spread({ nodeAffinityPolicy: "Ignore" });
    p2.spec.nodeSelector = { pool: "main" };
    expect(run(p2, [web("w1", "a1"), web("w2", "b1")], nodes)).toEqual({ a1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, b1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, c1: "ok" });
  });

  it("nodeTaintsPolicy: Ignore (default) counts tainted domains, Honor leaves them out", () => {
    const nodes = [node("a1", { labels: { zone: "a" } }), node("b1", { labels: { zone: "b" } }), node("c1", { labels: { zone: "c" }, taints: [{ key: "k", effect: "NoSchedule" }] })];
    const bound = [web("w1", "a1"), web("w2", "b1")];
    expect(run(spread(), bound, nodes)).toEqual({ a1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, b1: pts.ERR_REASON_CONSTRAINTS_NOT_MATCH, c1: "ok" });
    expect(run(spread({ nodeTaintsPolicy: "Honor" }), bound, nodes)).toEqual({ a1: "ok", b1: "ok", c1: "ok" });
  });

  it("ScheduleAnyway scores emptier domains higher", () => {
    const p = pi(pod("new", { labels: { app: "web" }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "web" } } }] }));
    const nodes = infos(zoneNodes.slice(0, 4), [web("w1", "a1"), web("w2", "a2"), web("w3", "b1")]);
    const st = state();
    expect(pts.preScore(st, p, nodes, nodes)).toBeNull();
    const raw = nodes.map((ni) => pts.score(st, p, ni));
    // weight ln(3 + 2) ≈ 1.609: a → round(2 × 1.609) = 3, b → 2, c → 0.
    expect(raw).toEqual([3, 3, 2, 0]);
    pts.normalize(st, p, raw, nodes);
    expect(raw).toEqual([0, 0, 33, 100]);
  });

  it("system default constraints spread pods of a controller by hostname and zone", () => {
    const p = pi(pod("new", { labels: { app: "web" } }));
    const z = (name: string, zone: string) => node(name, { labels: { "topology.kubernetes.io/zone": zone } });
    const nodes = infos([z("a1", "a"), z("a2", "a"), z("b1", "b"), z("c1", "c")], [web("w1", "a1"), web("w2", "a1")]);
    const st = state({ defaultSpreadSelector: () => ({ matches: (l) => l?.app === "web", empty: false, toString: () => "app=web" }) });
    expect(pts.preScore(st, p, nodes, nodes)).toBeNull();
    const raw = nodes.map((ni) => pts.score(st, p, ni));
    pts.normalize(st, p, raw, nodes);
    expect(raw[0]).toBeLessThan(raw[1]);
    expect(raw[1]).toBeLessThan(raw[2]);
    expect(raw[2]).toBe(raw[3]);
    expect(pts.preScore(state(), p, nodes, nodes)).toBe("skip");
  });
});
