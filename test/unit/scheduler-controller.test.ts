import { describe, expect, it } from "vitest";
import { errors } from "../../src/api/status";
import { schedulerController, type SchedulerController } from "../../src/controllers/scheduler/controller";
import { findResource } from "../../src/resources/registry";
import { buildCache } from "../../src/scheduler/cache";
import { describeAction, Driver, FakeView, POD, RS } from "./fake-view";
import { node, pod } from "./scheduler-helpers";

type Obj = Record<string, any>;
const NODE = findResource("", "v1", "nodes")!;

interface Recorded {
  name: string;
  type: string;
  reason: string;
  message: string;
}

function setup(nodes: Obj[] = [], bound: Obj[] = []) {
  const view = new FakeView();
  for (const n of nodes) view.seed(NODE, n);
  for (const p of bound) view.seed(POD, p);
  const events: Recorded[] = [];
  const ctrl = schedulerController(view, { random: () => 0, recordEvent: (obj, type, reason, message) => events.push({ name: obj.metadata.name, type, reason, message }) });
  // The keys the controller named for each change, as the driver enqueued them.
  const keys: string[][] = [];
  const driver = new Driver(view, [{ name: ctrl.name, reconcile: (k: string) => ctrl.reconcile(k), keysFor: (c) => (keys.push(ctrl.keysFor(c)), keys[keys.length - 1]) }]);
  return { view, ctrl, driver, events, keys };
}

function condition(view: FakeView, name: string): Obj | undefined {
  return view.get(POD, "default", name)?.status?.conditions?.find((c: Obj) => c.type === "PodScheduled");
}

describe("scheduler controller", () => {
  it("binds a pending pod: one CAS write of spec.nodeName with PodScheduled=True", () => {
    const { view, driver, events } = setup([node("n1")]);
    view.create(POD, pod("web", { requests: { cpu: "100m" } }));
    view.clearActions();
    driver.runUntilIdle();
    expect(view.actions.map(describeAction)).toEqual(["bind pods default/web"]);
    const stored = view.get(POD, "default", "web")!;
    expect(stored.spec.nodeName).toBe("n1");
    expect(condition(view, "web")).toMatchObject({ status: "True" });
    expect(events).toEqual([{ name: "web", type: "Normal", reason: "Scheduled", message: "Successfully assigned default/web to n1" }]);
    // The bind write carried the resourceVersion the pod was read at.
    expect(Number(view.actions[0].obj.metadata.resourceVersion)).toBeGreaterThan(0);
  });

  it("an unschedulable pod gets the condition and a FailedScheduling event, once per change of message", () => {
    const { view, ctrl, driver, events } = setup([node("n1", { cpu: "4", labels: { disk: "ssd" } }), node("n2"), node("n3")], [pod("busy", { nodeName: "n1", requests: { cpu: "3" } })]);
    view.create(POD, pod("big", { requests: { cpu: "2" }, nodeSelector: { disk: "ssd" } }));
    view.clearActions();
    driver.runUntilIdle();
    const msg =
      "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.";
    expect(view.actions.map(describeAction)).toEqual(["update-status pods default/big"]);
    expect(condition(view, "big")).toMatchObject({ status: "False", reason: "Unschedulable", message: msg });
    expect(events).toEqual([{ name: "big", type: "Warning", reason: "FailedScheduling", message: msg }]);
    expect([...ctrl.unschedulable!]).toEqual(["default/big"]);
    // Trying again with nothing changed writes nothing (the event repeats, as upstream's does).
    view.clearActions();
    ctrl.reconcile("default/big");
    expect(view.actions).toEqual([]);
    expect(events).toHaveLength(2);
  });

  it("a node added later gets the waiting pod", () => {
    const { view, driver } = setup([node("n1", { cpu: "1" })]);
    view.create(POD, pod("big", { requests: { cpu: "2" } }));
    driver.runUntilIdle();
    expect(view.get(POD, "default", "big")!.spec.nodeName).toBeUndefined();
    view.seed(NODE, node("n2", { cpu: "8" }));
    driver.runUntilIdle();
    expect(view.get(POD, "default", "big")!.spec.nodeName).toBe("n2");
    expect(condition(view, "big")).toMatchObject({ status: "True" });
  });

  it("a node change that may help (labels, taints, cordon) wakes waiting pods; others do not", () => {
    const { view, driver, ctrl, keys } = setup([node("n1", { taints: [{ key: "k", effect: "NoSchedule" }] })]);
    view.create(POD, pod("p"));
    driver.runUntilIdle();
    expect(ctrl.unschedulable!.has("default/p")).toBe(true);
    view.userUpdateStatus(NODE, "", "n1", (n) => (n.status.conditions = [{ type: "Ready", status: "True" }]));
    expect(keys.pop()).toEqual([]);
    view.userUpdate(NODE, "", "n1", (n) => delete n.spec.taints);
    expect(keys.pop()).toEqual(["default/p"]);
    driver.runUntilIdle();
    expect(view.get(POD, "default", "p")!.spec.nodeName).toBe("n1");
  });

  it("a burst of helpful changes queues each waiting pod once; one that fails again waits for the next change", () => {
    const { view, driver, ctrl, keys } = setup([node("n1", { cpu: "1" }), node("n2", { cpu: "1" })], [pod("b1", { nodeName: "n1", requests: { cpu: "1" } }), pod("b2", { nodeName: "n2", requests: { cpu: "1" } })]);
    view.create(POD, pod("big", { requests: { cpu: "2" } }));
    view.create(POD, pod("small", { requests: { cpu: "1" } }));
    driver.runUntilIdle();
    expect([...ctrl.unschedulable!].sort()).toEqual(["default/big", "default/small"]);
    keys.length = 0;
    view.userDelete(POD, "default", "b1");
    view.userDelete(POD, "default", "b2");
    expect(keys).toEqual([["default/big", "default/small"], []]);
    driver.runUntilIdle();
    expect(view.get(POD, "default", "small")!.spec.nodeName).toBeDefined();
    expect([...ctrl.unschedulable!]).toEqual(["default/big"]);
    keys.length = 0;
    view.userUpdate(NODE, "", "n1", (n) => (n.metadata.labels.more = "room"));
    expect(keys).toEqual([["default/big"]]);
  });

  it("a bound pod going away makes room for a waiting one", () => {
    const { view, driver } = setup([node("n1", { pods: "1" })], [pod("old", { nodeName: "n1" })]);
    view.create(POD, pod("new"));
    driver.runUntilIdle();
    expect(condition(view, "new")).toMatchObject({ status: "False", message: expect.stringContaining("1 Too many pods") });
    view.userDelete(POD, "default", "old");
    driver.runUntilIdle();
    expect(view.get(POD, "default", "new")!.spec.nodeName).toBe("n1");
  });

  it("a bound pod that finishes frees its room", () => {
    const { view, driver } = setup([node("n1", { cpu: "1" })], [pod("job", { nodeName: "n1", requests: { cpu: "1" }, phase: "Running" })]);
    view.create(POD, pod("next", { requests: { cpu: "1" } }));
    driver.runUntilIdle();
    expect(view.get(POD, "default", "next")!.spec.nodeName).toBeUndefined();
    view.userUpdateStatus(POD, "default", "job", (p) => (p.status.phase = "Succeeded"));
    driver.runUntilIdle();
    expect(view.get(POD, "default", "next")!.spec.nodeName).toBe("n1");
  });

  it("leaves alone pods of other schedulers, bound pods, terminating and gated pods", () => {
    const { view, driver } = setup([node("n1")]);
    const other = pod("other");
    other.spec.schedulerName = "my-scheduler";
    const gated = pod("gated");
    gated.spec.schedulingGates = [{ name: "wait" }];
    view.create(POD, other);
    view.create(POD, gated);
    view.create(POD, pod("bound", { nodeName: "n1" }));
    view.clearActions();
    driver.runUntilIdle();
    expect(view.actions).toEqual([]);
    view.userUpdate(POD, "default", "gated", (p) => delete p.spec.schedulingGates);
    driver.runUntilIdle();
    expect(view.get(POD, "default", "gated")!.spec.nodeName).toBe("n1");
  });

  it("a conflicting bind backs off and succeeds on the retry", () => {
    const { view, driver } = setup([node("n1")]);
    let fail = true;
    view.prependReactor((verb, rt) => {
      if (verb === "bind" && rt.resource === "pods" && fail) {
        fail = false;
        return errors.conflict("pods", "", "p", "the object has been modified; please apply your changes to the latest version and try again");
      }
      return undefined;
    });
    view.create(POD, pod("p"));
    driver.runUntilIdle();
    expect(driver.errors).toHaveLength(1);
    driver.advance(100);
    expect(view.get(POD, "default", "p")!.spec.nodeName).toBe("n1");
  });

  it("spreads replicas of a ReplicaSet over nodes (system default spreading)", () => {
    const nodes = ["a", "b", "c"].map((z, i) => node(`n${i}`, { labels: { "topology.kubernetes.io/zone": z } }));
    const { view, driver } = setup(nodes);
    const rs = view.seed(RS, { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "web", namespace: "default" }, spec: { replicas: 6, selector: { matchLabels: { app: "web" } }, template: {} } });
    for (let i = 0; i < 6; i++) {
      const p = pod(`web-${i}`, { labels: { app: "web" }, requests: { cpu: "100m" } });
      p.metadata.ownerReferences = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: rs.metadata.uid, controller: true }];
      view.create(POD, p);
    }
    driver.runUntilIdle();
    const perNode: Record<string, number> = {};
    for (const p of view.list(POD, "default")) perNode[p.spec.nodeName] = (perNode[p.spec.nodeName] ?? 0) + 1;
    expect(perNode).toEqual({ n0: 2, n1: 2, n2: 2 });
  });

  it("keeps its cache consistent with the store through binds, deletions and node changes", () => {
    const { view, driver, ctrl } = setup([node("n1"), node("n2"), node("n3")]);
    for (let i = 0; i < 12; i++) view.create(POD, pod(`p${i}`, { requests: { cpu: "200m", memory: "64Mi" }, hostPorts: i % 4 === 0 ? [8000 + i] : undefined }));
    driver.runUntilIdle();
    expect(ctrl.cache!.podCount).toBe(12);
    view.userDelete(POD, "default", "p3");
    view.userUpdate(NODE, "", "n2", (n) => (n.metadata.labels.extra = "x"));
    view.userUpdateStatus(POD, "default", "p4", (p) => (p.status.phase = "Failed"));
    const gone = view.list(POD, "default").filter((p) => p.spec.nodeName === "n3").map((p) => p.metadata.name);
    view.userDelete(NODE, "", "n3");
    view.create(POD, pod("late"));
    driver.runUntilIdle();
    expect(ctrl.cache!.dump()).toEqual(buildCache(view.list(NODE, undefined), view.list(POD, undefined)).dump());
    expect(ctrl.verifyCache()).toBe(true);
    // Pods of the deleted node stay accounted (on a node the cache no longer schedules to).
    if (gone.length) expect(ctrl.cache!.dump().n3).toMatchObject({ known: false });
    expect(ctrl.cache!.nodeInfos().map((n) => n.name).sort()).toEqual(["n1", "n2"]);
  });

  it("after a restart, rebuilds the cache and the waiting set from the store", () => {
    const { view, driver } = setup([node("n1", { cpu: "1" })]);
    view.create(POD, pod("big", { requests: { cpu: "2" } }));
    driver.runUntilIdle();
    // A fresh controller (the object was evicted): nothing in memory.
    const ctrl2: SchedulerController = schedulerController(view, { random: () => 0 });
    expect(ctrl2.cache).toBeUndefined();
    const d2 = new Driver(view, [ctrl2]);
    view.seed(NODE, node("n2", { cpu: "4" }));
    d2.runUntilIdle();
    expect(view.get(POD, "default", "big")!.spec.nodeName).toBe("n2");
    expect(ctrl2.verifyCache()).toBe(true);
  });

  it("schedules 1,000 pods on 1,000 nodes", () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => node(`node-${i}`, { cpu: "8", memory: "32Gi", labels: { "topology.kubernetes.io/zone": `z${i % 3}` } }));
    const { view, driver, ctrl } = setup(nodes);
    for (let i = 0; i < 1000; i++) view.create(POD, pod(`p-${i}`, { labels: { app: `a${i % 10}` }, requests: { cpu: "100m", memory: "128Mi" } }));
    const t0 = performance.now();
    driver.runUntilIdle(5000);
    const ms = performance.now() - t0;
    console.log(`scheduler: 1000 pods on 1000 nodes in ${ms.toFixed(0)} ms (${((1000 / ms) * 1000).toFixed(0)} pods/s, fake view included)`);
    expect(view.list(POD, "default").filter((p) => !p.spec.nodeName)).toEqual([]);
    expect(ctrl.cache!.podCount).toBe(1000);
  });
});
