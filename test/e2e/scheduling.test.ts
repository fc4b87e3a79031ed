import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimNodes, type SimNodes, type SimNodeSpec } from "../sim/sim-nodes";
import { startFlotilla, type Started } from "./harness";
import { eventually, kubectlAsync } from "./rollout-helpers";
import { deploymentJson, nodeRows, okOrThrow, perNode, podJson, podRows, type PodRow } from "./scheduling-helpers";

const ZONE = "topology.kubernetes.io/zone";
const HOST = "kubernetes.io/hostname";
const SMALL = { capacity: { cpu: "4", memory: "8Gi", pods: "110" } };

/** Starts a server and simulated nodes, and gives kubectl helpers bound to them. */
function cluster(nodes: SimNodeSpec[], env: Record<string, string> = {}, leaseRenewMs?: number) {
  const c = {
    server: undefined as unknown as Started,
    sim: undefined as unknown as SimNodes,
    kubectl: undefined as unknown as ReturnType<typeof kubectlAsync>,
    async ok(args: string[], input?: string): Promise<string> {
      return okOrThrow(args, await c.kubectl(args, input));
    },
    async pods(app: string): Promise<PodRow[]> {
      return podRows(await c.ok(["get", "pods", "-l", `app=${app}`, "-o", "wide", "--no-headers"]));
    },
    /** Polls `kubectl get pods -l app=<app> -o wide` until `ok` holds. */
    async podsUntil(app: string, ok: (rows: PodRow[]) => boolean, ms = 30_000): Promise<PodRow[]> {
      return eventually(() => c.pods(app), ok, ms, 400);
    },
    async nodes(): Promise<{ name: string; status: string }[]> {
      return nodeRows(await c.ok(["get", "nodes", "--no-headers"]));
    },
    /** Deletes every Deployment and Pod of the default namespace and waits until they are gone. */
    async clean(): Promise<void> {
      await c.ok(["delete", "deployments,pods", "--all", "--timeout=60s"]);
      await eventually(() => c.ok(["get", "pods", "--no-headers"]), (out) => out.trim() === "", 30_000, 400);
    },
  };
  beforeAll(async () => {
    c.server = await startFlotilla(undefined, undefined, env);
    c.kubectl = kubectlAsync(c.server.kubeconfig, mkdtempSync(join(tmpdir(), "flotilla-scheduling-")));
    c.sim = await startSimNodes({ kubeconfig: c.server.kubeconfig, nodes, readyDelayMs: 100, leaseRenewMs });
  });
  afterAll(async () => {
    await c.sim?.stop();
    await c.server?.stop();
  });
  return c;
}

const running = (n: number) => (rows: PodRow[]) => rows.length === n && rows.every((r) => r.status === "Running" && r.ready === "1/1");

describe("scheduling with the real kubectl and simulated nodes", () => {
  // Zone a has two nodes, zones b and c one each; only sim-node-2 has an SSD.
  const c = cluster(
    [
      { name: "sim-node-0", labels: { [ZONE]: "zone-a" }, ...SMALL },
      { name: "sim-node-1", labels: { [ZONE]: "zone-a" }, ...SMALL },
      { name: "sim-node-2", labels: { [ZONE]: "zone-b", disktype: "ssd" }, ...SMALL },
      { name: "sim-node-3", labels: { [ZONE]: "zone-c" }, ...SMALL },
    ],
  );
  const zoneOf: Record<string, string> = { "sim-node-0": "zone-a", "sim-node-1": "zone-a", "sim-node-2": "zone-b", "sim-node-3": "zone-c" };

  it("lists the nodes Ready with their zone labels", async () => {
    const out = await c.ok(["get", "nodes", "-L", ZONE, "--no-headers"]);
    const lines = out.trim().split("\n");
    expect(lines).toHaveLength(4);
    for (const [name, zone] of Object.entries(zoneOf)) expect(out).toMatch(new RegExp(`^${name}\\s+Ready\\s+.*\\s${zone}$`, "m"));
  });

  it("places pods only on nodes matching their nodeSelector", async () => {
    expect(await c.ok(["apply", "-f", "-"], deploymentJson("ssd", 3, { nodeSelector: { disktype: "ssd" } }))).toBe("deployment.apps/ssd created\n");
    const rows = await c.podsUntil("ssd", running(3));
    expect(rows.map((r) => r.node)).toEqual(["sim-node-2", "sim-node-2", "sim-node-2"]);
    await c.clean();
  });

  it("places pods only on nodes matching their required node affinity", async () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: "In", values: ["zone-a"] }, { key: HOST, operator: "NotIn", values: ["sim-node-0"] }] }],
        },
      },
    };
    await c.ok(["apply", "-f", "-"], deploymentJson("zone-a", 3, { affinity }));
    const rows = await c.podsUntil("zone-a", running(3));
    expect(new Set(rows.map((r) => r.node))).toEqual(new Set(["sim-node-1"]));
    await c.clean();
  });

  it("spreads a Deployment one pod per node with pod anti-affinity; the extra replica stays Pending", async () => {
    const affinity = {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "anti" } }, topologyKey: HOST }] },
    };
    await c.ok(["apply", "-f", "-"], deploymentJson("anti", 5, { affinity }));
    const rows = await c.podsUntil("anti", (rs) => rs.length === 5 && rs.filter((r) => r.status === "Running").length === 4 && rs.some((r) => r.status === "Pending"));
    const placed = rows.filter((r) => r.status === "Running");
    expect(new Set(placed.map((r) => r.node))).toEqual(new Set(Object.keys(zoneOf)));
    const pending = rows.filter((r) => r.status === "Pending");
    expect(pending).toHaveLength(1);
    expect(pending[0].node).toBe("<none>");
    const described = await eventually(() => c.ok(["describe", "pod", pending[0].name]), (o) => o.includes("FailedScheduling"), 15_000, 400);
    expect(described).toMatch(/Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/4 nodes are available: 4 node\(s\) didn't match pod anti-affinity rules\. preemption: 0\/4 nodes are available: 4 No preemption victims found for incoming pod\./);
    await c.clean();
  });

  it("spreads 6 replicas 2/2/2 over three zones with maxSkew 1", async () => {
    const topologySpreadConstraints = [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "spread" } } }];
    await c.ok(["apply", "-f", "-"], deploymentJson("spread", 6, { topologySpreadConstraints }));
    const rows = await c.podsUntil("spread", running(6));
    const zones: Record<string, number> = {};
    for (const r of rows) zones[zoneOf[r.node]] = (zones[zoneOf[r.node]] ?? 0) + 1;
    // Zone a has two nodes, so spreading by node alone would give it more than its share.
    expect(zones).toEqual({ "zone-a": 2, "zone-b": 2, "zone-c": 2 });
    await c.clean();
  });

  it("gives a NoSchedule-tainted node only the pods that tolerate the taint", async () => {
    expect(await c.ok(["taint", "nodes", "sim-node-3", "dedicated=gpu:NoSchedule"])).toBe("node/sim-node-3 tainted\n");
    const toleration = { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" };
    await c.ok(["apply", "-f", "-"], deploymentJson("plain", 8));
    await c.ok(["apply", "-f", "-"], deploymentJson("tolerant", 2, { tolerations: [toleration], nodeSelector: { [HOST]: "sim-node-3" } }));
    await c.ok(["apply", "-f", "-"], podJson("intolerant", { nodeSelector: { [HOST]: "sim-node-3" } }));
    const plain = await c.podsUntil("plain", running(8));
    expect(plain.filter((r) => r.node === "sim-node-3")).toEqual([]);
    expect(new Set(plain.map((r) => r.node))).toEqual(new Set(["sim-node-0", "sim-node-1", "sim-node-2"]));
    const tolerant = await c.podsUntil("tolerant", running(2));
    expect(tolerant.map((r) => r.node)).toEqual(["sim-node-3", "sim-node-3"]);
    const described = await eventually(() => c.ok(["describe", "pod", "intolerant"]), (o) => o.includes("FailedScheduling"), 15_000, 400);
    expect(described).toMatch(/0\/4 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}, 3 node\(s\) didn't match Pod's node affinity\/selector\./);
    expect((await c.pods("intolerant")).map((r) => r.status)).toEqual(["Pending"]);
    // Once the taint is gone the waiting pod lands on the node.
    expect(await c.ok(["taint", "nodes", "sim-node-3", "dedicated=gpu:NoSchedule-"])).toBe("node/sim-node-3 untainted\n");
    const after = await c.podsUntil("intolerant", running(1));
    expect(after[0].node).toBe("sim-node-3");
    await c.clean();
  });

  it("leaves a pod too big for any node Pending with the upstream FailedScheduling message", async () => {
    await c.ok(["apply", "-f", "-"], podJson("huge", {}, { resources: { requests: { cpu: "64" } } }));
    const described = await eventually(() => c.ok(["describe", "pod", "huge"]), (o) => o.includes("FailedScheduling"), 15_000, 400);
    expect(described).toMatch(/^Status:\s+Pending$/m);
    expect(described).toMatch(
      /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/4 nodes are available: 4 Insufficient cpu\. preemption: 0\/4 nodes are available: 4 No preemption victims found for incoming pod\./,
    );
    const got = await c.ok(["get", "pod", "huge"]);
    expect(got).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    expect(got).toMatch(/^huge\s+0\/1\s+Pending\s+0\s+/m);
    // Still Pending a moment later: nothing was bound behind our back.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await c.pods("huge")).map((r) => [r.status, r.node])).toEqual([["Pending", "<none>"]]);
    await c.clean();
  });

  it("keeps new pods off a cordoned node, and uses it again once uncordoned", async () => {
    expect(await c.ok(["cordon", "sim-node-0"])).toBe("node/sim-node-0 cordoned\n");
    expect((await c.nodes()).find((n) => n.name === "sim-node-0")?.status).toBe("Ready,SchedulingDisabled");
    expect((await c.nodes()).filter((n) => n.status === "Ready")).toHaveLength(3);
    await c.ok(["apply", "-f", "-"], deploymentJson("avoid", 6));
    const rows = await c.podsUntil("avoid", running(6));
    expect(rows.filter((r) => r.node === "sim-node-0")).toEqual([]);
    expect(await c.ok(["uncordon", "sim-node-0"])).toBe("node/sim-node-0 uncordoned\n");
    expect((await c.nodes()).find((n) => n.name === "sim-node-0")?.status).toBe("Ready");
    await c.ok(["apply", "-f", "-"], podJson("pinned", { nodeSelector: { [HOST]: "sim-node-0" } }));
    expect((await c.podsUntil("pinned", running(1)))[0].node).toBe("sim-node-0");
    await c.clean();
  });

  it("drains a node: its pods are evicted and the ReplicaSet replaces them elsewhere", async () => {
    await c.ok(["apply", "-f", "-"], deploymentJson("drained", 8));
    const before = await c.podsUntil("drained", running(8));
    const victims = before.filter((r) => r.node === "sim-node-1").map((r) => r.name);
    expect(victims.length).toBeGreaterThan(0);
    const r = await c.kubectl(["drain", "sim-node-1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s"]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("node/sim-node-1 cordoned\n");
    for (const v of victims) expect(r.stdout).toContain(`pod/${v} evicted\n`);
    expect(r.stdout).toMatch(/node\/sim-node-1 drained\n$/);
    expect((await c.nodes()).find((n) => n.name === "sim-node-1")?.status).toBe("Ready,SchedulingDisabled");
    const after = await c.podsUntil("drained", running(8));
    expect(after.filter((x) => x.node === "sim-node-1")).toEqual([]);
    expect(after.filter((x) => victims.includes(x.name))).toEqual([]);
    expect(perNode(after)["sim-node-1"]).toBeUndefined();
    await c.ok(["uncordon", "sim-node-1"]);
    await c.clean();
  });
});

describe("a node that stops renewing its lease", () => {
  // Grace 5 s, so the nodes renew every second (a quarter of the grace, as a kubelet's 10 s of 40 s).
  const c = cluster(
    [0, 1, 2].map((i) => ({ name: `sim-node-${i}`, ...SMALL })),
    { FLOTILLA_NODE_MONITOR_GRACE_SECONDS: "5" },
    1000,
  );
  const unreachable = [
    { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 },
    { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 },
  ];

  it("goes NotReady with the unreachable taints, loses its pods to the other nodes, and is untainted on return", async () => {
    await c.ok(["apply", "-f", "-"], deploymentJson("fleet", 6, { tolerations: unreachable }));
    const before = await c.podsUntil("fleet", running(6));
    const lost = before.filter((r) => r.node === "sim-node-0").map((r) => r.name);
    expect(lost.length).toBeGreaterThan(0);
    // Healthy nodes stay Ready through several grace periods.
    await new Promise((r) => setTimeout(r, 6000));
    expect((await c.nodes()).map((n) => n.status)).toEqual(["Ready", "Ready", "Ready"]);

    c.sim.stopHeartbeat("sim-node-0");
    const nodes = await eventually(() => c.nodes(), (ns) => ns.find((n) => n.name === "sim-node-0")?.status === "NotReady", 20_000, 500);
    expect(nodes.map((n) => `${n.name} ${n.status}`)).toEqual(["sim-node-0 NotReady", "sim-node-1 Ready", "sim-node-2 Ready"]);
    expect(await c.ok(["get", "node", "sim-node-0", "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).toBe("Unknown");
    const taints = await eventually(() => c.ok(["get", "node", "sim-node-0", "-o", 'jsonpath={range .spec.taints[*]}{.key}:{.effect}{"\\n"}{end}']), (o) => o.split("\n").filter(Boolean).length === 2, 10_000, 400);
    expect(taints.split("\n").filter(Boolean).sort()).toEqual(["node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule"]);
    const described = await c.ok(["describe", "node", "sim-node-0"]);
    expect(described).toMatch(/^(Taints:)?\s+node\.kubernetes\.io\/unreachable:NoExecute$/m);
    expect(described).toMatch(/^(Taints:)?\s+node\.kubernetes\.io\/unreachable:NoSchedule$/m);
    expect(described).toMatch(/^\s+Ready\s+Unknown\s+.*NodeStatusUnknown\s+Kubelet stopped posting node status\.$/m);

    // After tolerationSeconds the pods are evicted; the silent node cannot confirm, so they stay
    // Terminating there while replacements run on the other nodes.
    const rows = await c.podsUntil(
      "fleet",
      (rs) => rs.filter((r) => r.status === "Running" && r.ready === "1/1" && r.node !== "sim-node-0").length === 6 && lost.every((n) => rs.find((r) => r.name === n)?.status === "Terminating"),
      30_000,
    );
    expect(rows.filter((r) => r.status === "Running").every((r) => r.node !== "sim-node-0")).toBe(true);
    const events = await c.ok(["get", "events", "--field-selector", `involvedObject.name=${lost[0]}`, "--no-headers"]);
    expect(events).toMatch(/TaintManagerEviction/);

    await c.sim.resumeHeartbeat("sim-node-0");
    const back = await eventually(() => c.nodes(), (ns) => ns.every((n) => n.status === "Ready"), 20_000, 500);
    expect(back.map((n) => n.status)).toEqual(["Ready", "Ready", "Ready"]);
    expect(await eventually(() => c.ok(["get", "node", "sim-node-0", "-o", "jsonpath={.spec.taints}"]), (o) => o === "", 10_000, 400)).toBe("");
    // The returning node finishes the deletions it missed.
    const final = await c.podsUntil("fleet", running(6), 20_000);
    expect(final.filter((r) => lost.includes(r.name))).toEqual([]);
    await c.clean();
  });
});
