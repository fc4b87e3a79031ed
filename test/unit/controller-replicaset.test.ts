import { describe, expect, it } from "vitest";
import { errors } from "../../src/api/status";
import { rfc3339 } from "../../src/lib/clock";
import { replicaSetController, slowStartBatch } from "../../src/controllers/replicaset/controller";
import { podsToDelete } from "../../src/controllers/replicaset/ranking";
import { describeAction, FakeView, newPod, newReplicaSet, POD, RS } from "./fake-view";

type Obj = Record<string, any>;

function setup(rsFixture = {}) {
  const view = new FakeView();
  const events: string[] = [];
  const ctrl = replicaSetController(view, { recordEvent: (_o, type, reason, message) => events.push(`${type} ${reason} ${message}`) });
  const rs = view.seed(RS, newReplicaSet(rsFixture));
  return { view, events, ctrl, rs };
}

describe("slowStartBatch", () => {
  // Batches are 1, 2, 4, ... capped by what is left; a failure ends the pass at the end of its batch.
  it.each([
    [1, 1, 1],
    [10, 2, 3],
    [10, 4, 7],
    [10, 8, 10],
    [20, 8, 15],
    [20, 16, 20],
  ])("of %i creations failing at call %i, makes %i calls", (count, failAt, calls) => {
    let n = 0;
    const res = slowStartBatch(count, 1, () => {
      if (++n === failAt) throw new Error("boom");
    });
    expect(n).toBe(calls);
    expect(res.successes).toBe(calls - 1);
  });

  it("makes every call when none fails", () => {
    let n = 0;
    expect(slowStartBatch(10, 1, () => void n++)).toEqual({ successes: 10 });
    expect(n).toBe(10);
  });

  it("finishes the failing batch but starts no other", () => {
    let calls = 0;
    const res = slowStartBatch(10, 1, () => {
      calls++;
      if (calls === 2) throw new Error("quota");
    });
    // Batch 1 (call 1) ok, batch 2 (calls 2, 3) has a failure: stop.
    expect(calls).toBe(3);
    expect(res.successes).toBe(2);
    expect(res.error?.message).toBe("quota");
  });
});

describe("replicaset reconcile", () => {
  it("creates the missing pods from the template, owned by the ReplicaSet", () => {
    const { view, events, ctrl, rs } = setup({ replicas: 3 });
    ctrl.reconcile("default/web-rs");
    expect(view.actions.map(describeAction)).toEqual([
      "create pods default/web-rs-bbbbc",
      "create pods default/web-rs-bbbbd",
      "create pods default/web-rs-bbbbf",
      "update-status replicasets default/web-rs",
    ]);
    const pod = view.actions[0].obj;
    expect(pod.metadata.generateName).toBe("web-rs-");
    expect(pod.metadata.labels).toEqual({ app: "web" });
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-rs", uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(pod.spec.containers[0].image).toBe("nginx:1.25");
    expect(pod.spec.nodeName).toBeUndefined();
    // The status counts the pods that existed when the pass began, as upstream does.
    expect(view.actions[3].obj.status).toEqual({ replicas: 0, observedGeneration: 1 });
    expect(events).toEqual(["Normal SuccessfulCreate Created pod: web-rs-bbbbc", "Normal SuccessfulCreate Created pod: web-rs-bbbbd", "Normal SuccessfulCreate Created pod: web-rs-bbbbf"]);

    view.clearActions();
    ctrl.reconcile("default/web-rs");
    expect(view.actions.map(describeAction)).toEqual(["update-status replicasets default/web-rs"]);
    expect(view.actions[0].obj.status).toEqual({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });

    view.clearActions();
    ctrl.reconcile("default/web-rs");
    expect(view.actions).toEqual([]);
  });

  it("deletes surplus pods, best candidates first", () => {
    const { view, events, ctrl, rs } = setup({ replicas: 1 });
    view.seed(POD, newPod({ name: "running-ready", owner: rs, ready: true, nodeName: "n1" }));
    view.seed(POD, newPod({ name: "running-unready", owner: rs, phase: "Running", ready: false, nodeName: "n1" }));
    view.seed(POD, newPod({ name: "pending", owner: rs, nodeName: "n1" }));
    view.seed(POD, newPod({ name: "unassigned", owner: rs }));
    ctrl.reconcile("default/web-rs");
    expect(view.actions.map(describeAction)).toEqual([
      "delete pods default/unassigned",
      "delete pods default/pending",
      "delete pods default/running-unready",
      "update-status replicasets default/web-rs",
    ]);
    expect(events).toContain("Normal SuccessfulDelete Deleted pod: unassigned");
    expect(view.get(POD, "default", "running-ready")).toBeDefined();
  });

  it("adopts matching orphans and releases owned pods that stopped matching", () => {
    const { view, ctrl, rs } = setup({ replicas: 2 });
    view.seed(POD, newPod({ name: "orphan" }));
    view.seed(POD, newPod({ name: "stray", labels: { app: "other" }, owner: rs }));
    view.seed(POD, newPod({ name: "someone-elses", owner: { kind: "ReplicaSet", metadata: { name: "x", uid: "other-uid" } } }));
    view.seed(POD, newPod({ name: "unrelated", labels: { app: "db" } }));
    ctrl.reconcile("default/web-rs");
    expect(view.actions.map(describeAction)).toEqual([
      "update pods default/orphan",
      "update pods default/stray",
      "create pods default/web-rs-bbbbc",
      "update-status replicasets default/web-rs",
    ]);
    expect(view.get(POD, "default", "orphan")!.metadata.ownerReferences[0]).toMatchObject({ kind: "ReplicaSet", uid: rs.metadata.uid, controller: true });
    expect(view.get(POD, "default", "stray")!.metadata.ownerReferences).toBeUndefined();
  });

  it("does not count pods being deleted or finished", () => {
    const { view, ctrl, rs } = setup({ replicas: 2 });
    view.seed(POD, newPod({ name: "ok", owner: rs, ready: true }));
    const gone = newPod({ name: "terminating", owner: rs, ready: true });
    gone.metadata.deletionTimestamp = rfc3339(view.now());
    gone.metadata.finalizers = ["example.com/hold"];
    view.seed(POD, gone);
    view.seed(POD, newPod({ name: "done", owner: rs, phase: "Succeeded" }));
    ctrl.reconcile("default/web-rs");
    expect(view.actions.map(describeAction)).toEqual(["create pods default/web-rs-bbbbc", "update-status replicasets default/web-rs"]);
    expect(view.actions[1].obj.status).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
  });

  it("counts a ready pod available after minReadySeconds and requeues for it", () => {
    const { view, ctrl, rs } = setup({ replicas: 1, minReadySeconds: 10 });
    view.seed(POD, newPod({ name: "p", owner: rs, ready: true, readySince: view.now() - 4000 }));
    expect(ctrl.reconcile("default/web-rs")).toEqual({ requeueAfterMs: 6000 });
    expect(view.get(RS, "default", "web-rs")!.status).toEqual({ replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, observedGeneration: 1 });
    view.clock.advance(6000);
    expect(ctrl.reconcile("default/web-rs")).toBeUndefined();
    expect(view.get(RS, "default", "web-rs")!.status).toEqual({ replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 });
  });

  it("counts fullyLabeledReplicas against the template labels", () => {
    const view = new FakeView();
    const ctrl = replicaSetController(view);
    const rs = newReplicaSet({ replicas: 2 });
    rs.spec.template.metadata.labels.tier = "fe";
    const stored = view.seed(RS, rs);
    view.seed(POD, newPod({ name: "a", owner: stored, labels: { app: "web", tier: "fe" } }));
    view.seed(POD, newPod({ name: "b", owner: stored, labels: { app: "web" } }));
    ctrl.reconcile("default/web-rs");
    expect(view.get(RS, "default", "web-rs")!.status).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1 });
  });

  it("reports a failed create as ReplicaFailure, stops after the first batch and fails the pass", () => {
    const { view, events, ctrl } = setup({ replicas: 5 });
    let attempts = 0;
    view.prependReactor((verb, rt) => {
      if (verb === "create" && rt.kind === "Pod") {
        attempts++;
        return errors.forbidden('pods "web-rs-" is forbidden: exceeded quota');
      }
      return undefined;
    });
    expect(() => ctrl.reconcile("default/web-rs")).toThrow(/exceeded quota/);
    expect(attempts).toBe(1);
    expect(events).toEqual(['Warning FailedCreate Error creating: pods "web-rs-" is forbidden: exceeded quota']);
    const cond = view.get(RS, "default", "web-rs")!.status.conditions[0];
    expect(cond).toMatchObject({ type: "ReplicaFailure", status: "True", reason: "FailedCreate", message: 'pods "web-rs-" is forbidden: exceeded quota' });

    // Quota freed: the pods come and the condition goes.
    view.clearReactors();
    view.clearActions();
    ctrl.reconcile("default/web-rs");
    expect(view.actions.filter((a) => a.verb === "create")).toHaveLength(5);
    expect(view.get(RS, "default", "web-rs")!.status.conditions).toBeUndefined();
  });

  it("leaves a ReplicaSet being deleted alone apart from its status", () => {
    const view = new FakeView();
    const ctrl = replicaSetController(view);
    const rs = newReplicaSet({ replicas: 2 });
    rs.metadata.deletionTimestamp = rfc3339(view.now());
    rs.metadata.finalizers = ["foregroundDeletion"];
    view.seed(RS, rs);
    ctrl.reconcile("default/web-rs");
    expect(view.actions.map(describeAction)).toEqual(["update-status replicasets default/web-rs"]);
  });
});

describe("replicaset deletion order", () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const at = (sAgo: number) => rfc3339(now - sAgo * 1000);
  const owner = { metadata: { name: "rs", uid: "rs-uid" } };
  const pod = (name: string, f: Partial<Parameters<typeof newPod>[0]> = {}): Obj => {
    const p = newPod({ name, owner, creationTimestamp: at(100), nodeName: "n1", phase: "Running", ready: true, readySince: now - 100_000, ...f });
    p.metadata.uid = name;
    return p;
  };
  it.each<[string, Obj, Obj]>([
    ["unassigned before assigned", pod("a", { nodeName: undefined }), pod("b")],
    ["pending before running", pod("a", { phase: "Pending", ready: false }), pod("b", { phase: "Running", ready: false })],
    ["unknown before running", pod("a", { phase: "Unknown" }), pod("b")],
    ["not ready before ready", pod("a", { ready: false }), pod("b")],
    ["lower deletion cost first", pod("a", { annotations: { "controller.kubernetes.io/pod-deletion-cost": "-5" } }), pod("b")],
    ["ready for less time first", pod("a", { readySince: now - 10_000 }), pod("b", { readySince: now - 1000_000 })],
    ["more restarts first", pod("a", { restarts: 3 }), pod("b", { restarts: 1 })],
    ["newer before older", pod("a", { creationTimestamp: at(10), readySince: now - 100_000 }), pod("b", { creationTimestamp: at(10_000) })],
  ])("%s", (_name, first, second) => {
    expect(podsToDelete([second, first], [], 1, now).map((p) => p.metadata.name)).toEqual(["a"]);
    expect(podsToDelete([first, second], [], 1, now).map((p) => p.metadata.name)).toEqual(["a"]);
  });

  it("prefers pods doubled up on a node with related pods", () => {
    const a = pod("a", { nodeName: "crowded" });
    const b = pod("b", { nodeName: "quiet" });
    const related = [a, pod("c", { nodeName: "crowded" }), b];
    expect(podsToDelete([b, a], related, 1, now).map((p) => p.metadata.name)).toEqual(["a"]);
  });
});

describe("replicaset keysFor", () => {
  it("maps ReplicaSets to themselves, owned pods to their owner and orphans to matching ReplicaSets", () => {
    const { view, ctrl, rs } = setup();
    view.seed(RS, newReplicaSet({ name: "db", labels: { app: "db" } }));
    const keys: string[][] = [];
    view.onChange((c) => keys.push(ctrl.keysFor(c)));
    view.userUpdate(RS, "default", "web-rs", (o) => (o.spec.replicas = 2));
    view.seed(POD, newPod({ name: "owned", owner: rs }));
    view.seed(POD, newPod({ name: "orphan", labels: { app: "db" } }));
    view.seed(POD, newPod({ name: "nobody", labels: { app: "none" } }));
    view.userDelete(POD, "default", "owned");
    expect(keys).toEqual([["default/web-rs"], ["default/web-rs"], ["default/db"], [], ["default/web-rs"]]);
  });

  it("wakes the old owner when a pod is released and ignores writes that changed nothing", () => {
    const { view, ctrl, rs } = setup();
    view.seed(POD, newPod({ name: "p", owner: rs }));
    const keys: string[][] = [];
    view.onChange((c) => keys.push(ctrl.keysFor(c)));
    view.userUpdate(POD, "default", "p", (o) => {
      delete o.metadata.ownerReferences;
      o.metadata.labels = { app: "elsewhere" };
    });
    expect(keys).toEqual([["default/web-rs"]]);
  });
});
