import { describe, expect, it } from "vitest";
import { rfc3339 } from "../../src/lib/clock";
import { deploymentController } from "../../src/controllers/deployment/controller";
import { computeHash } from "../../src/controllers/deployment/hash";
import { DEPLOY, describeAction, FakeView, newDeployment, newPod, newReplicaSet, POD, RS, type DeploymentFixture } from "./fake-view";

type Obj = Record<string, any>;

function setup(f: DeploymentFixture = {}) {
  const view = new FakeView();
  const events: string[] = [];
  const ctrl = deploymentController(view, { recordEvent: (_o, type, reason, message) => events.push(`${type} ${reason} ${message}`) });
  const d = view.seed(DEPLOY, newDeployment(f));
  return { view, events, ctrl, d };
}

/** Stores a ReplicaSet the deployment made earlier, at a given revision and status. */
function seedOwnedRS(view: FakeView, d: Obj, image: string, revision: number, replicas: number, available = replicas, createdSecondsAgo = 100): Obj {
  const template = structuredClone(d.spec.template);
  template.spec.containers[0].image = image;
  const hash = computeHash(template);
  const rs = newReplicaSet({ name: `${d.metadata.name}-${hash}`, replicas, owner: d, labels: { ...d.spec.selector.matchLabels, "pod-template-hash": hash } });
  rs.spec.template = structuredClone(template);
  rs.spec.template.metadata.labels["pod-template-hash"] = hash;
  rs.metadata.annotations = { "deployment.kubernetes.io/revision": String(revision), "deployment.kubernetes.io/desired-replicas": String(d.spec.replicas), "deployment.kubernetes.io/max-replicas": String(d.spec.replicas + 1) };
  rs.metadata.creationTimestamp = rfc3339(view.now() - createdSecondsAgo * 1000);
  rs.metadata.generation = 1;
  rs.status = { replicas, fullyLabeledReplicas: replicas, readyReplicas: available, availableReplicas: available, observedGeneration: 1 };
  return view.seed(RS, rs);
}

describe("deployment reconcile: a new deployment", () => {
  it("creates its ReplicaSet named by the template hash, then records revision and status", () => {
    const { view, events, ctrl, d } = setup({ replicas: 3, annotations: { "kubernetes.io/change-cause": "first", "kubectl.kubernetes.io/last-applied-configuration": "{}" } });
    const hash = computeHash(d.spec.template);
    expect(ctrl.reconcile("default/web")).toBeUndefined();
    expect(view.actions.map(describeAction)).toEqual([
      `create replicasets default/web-${hash}`,
      "update deployments default/web",
      "update-status deployments default/web",
      "update-status deployments default/web",
    ]);
    const rs = view.actions[0].obj;
    expect(rs.metadata.labels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(rs.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    // change-cause is copied, kubectl's last-applied is not; 25% of 3 surges by 1.
    expect(rs.metadata.annotations).toEqual({
      "kubernetes.io/change-cause": "first",
      "deployment.kubernetes.io/revision": "1",
      "deployment.kubernetes.io/desired-replicas": "3",
      "deployment.kubernetes.io/max-replicas": "4",
    });
    expect(rs.spec.replicas).toBe(3);
    expect(rs.spec.selector).toEqual({ matchLabels: { app: "web", "pod-template-hash": hash } });
    expect(rs.spec.template.metadata.labels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(rs.spec.template.spec).toEqual(d.spec.template.spec);
    expect(view.actions[1].obj.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");
    const status = view.get(DEPLOY, "default", "web")!.status;
    expect(status).toEqual({
      observedGeneration: 1,
      unavailableReplicas: 3,
      conditions: [
        { type: "Progressing", status: "True", lastUpdateTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z", reason: "NewReplicaSetCreated", message: `Created new replica set "web-${hash}"` },
        { type: "Available", status: "False", lastUpdateTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." },
      ],
    });
    expect(events).toEqual([`Normal ScalingReplicaSet Scaled up replica set web-${hash} from 0 to 3`]);
  });

  it("writes nothing more once in step, and asks to be looked at when the deadline would pass", () => {
    const { view, ctrl } = setup({ replicas: 3 });
    ctrl.reconcile("default/web");
    view.clearActions();
    view.clock.advance(180_000);
    // Progressing last updated 00:00:00, now 00:03:00, deadline 600 s: 7 minutes left.
    expect(ctrl.reconcile("default/web")).toEqual({ requeueAfterMs: 420_000 });
    expect(view.actions).toEqual([]);
  });

  it("gives a new ReplicaSet only the surge while the old one still has every pod", () => {
    const { view, events, ctrl, d } = setup({ replicas: 4, image: "nginx:1.26", strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } });
    const old = seedOwnedRS(view, d, "nginx:1.25", 1, 4);
    ctrl.reconcile("default/web");
    const created = view.actions.find((a) => a.verb === "create")!.obj;
    expect(created.spec.replicas).toBe(1);
    expect(created.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    // Creating it did not grow it past the surge, so the same pass may shrink the old one:
    // 5 pods - 3 minimum available - 1 new pod not yet available = 1.
    expect(view.actions.map(describeAction)).toEqual([
      `create replicasets default/${created.metadata.name}`,
      "update deployments default/web",
      "update-status deployments default/web",
      `update replicasets default/${old.metadata.name}`,
      "update-status deployments default/web",
    ]);
    expect(view.get(RS, "default", old.metadata.name)!.spec.replicas).toBe(3);
    expect(events).toEqual([
      `Normal ScalingReplicaSet Scaled up replica set ${created.metadata.name} from 0 to 1`,
      `Normal ScalingReplicaSet Scaled down replica set ${old.metadata.name} from 4 to 3`,
    ]);

    // Next pass: room for one more new pod (3 + 1 < 5); it grows the new one and stops there.
    view.clearActions();
    ctrl.reconcile("default/web");
    expect(view.actions.map(describeAction)).toEqual([`update replicasets default/${created.metadata.name}`, "update-status deployments default/web"]);
    expect(view.actions[0].obj.spec.replicas).toBe(2);
  });
});

describe("deployment reconcile: ownership", () => {
  it("adopts a matching orphan ReplicaSet and releases one that stopped matching", () => {
    const { view, ctrl, d } = setup({ replicas: 1 });
    const hash = computeHash(d.spec.template);
    const orphan = newReplicaSet({ name: `web-${hash}`, replicas: 1, labels: { app: "web", "pod-template-hash": hash } });
    orphan.spec.template = structuredClone(d.spec.template);
    orphan.spec.template.metadata.labels["pod-template-hash"] = hash;
    view.seed(RS, orphan);
    view.seed(RS, newReplicaSet({ name: "stray", labels: { app: "other" }, owner: d }));
    view.seed(RS, newReplicaSet({ name: "foreign", owner: { metadata: { name: "x", uid: "someone" } } }));
    ctrl.reconcile("default/web");
    const writes = view.actions.map(describeAction);
    expect(writes.slice(0, 2)).toEqual(["update replicasets default/stray", `update replicasets default/web-${hash}`]);
    expect(view.get(RS, "default", "stray")!.metadata.ownerReferences).toBeUndefined();
    expect(view.get(RS, "default", `web-${hash}`)!.metadata.ownerReferences[0]).toMatchObject({ kind: "Deployment", uid: d.metadata.uid, controller: true });
    // The adopted one is the deployment's new ReplicaSet: no second one is made.
    expect(view.actions.filter((a) => a.verb === "create")).toEqual([]);
  });

  it("refuses a selector that selects everything", () => {
    const view = new FakeView();
    const events: string[] = [];
    const ctrl = deploymentController(view, { recordEvent: (_o, t, r, m) => events.push(`${t} ${r} ${m}`) });
    const d = newDeployment();
    d.spec.selector = {};
    view.seed(DEPLOY, d);
    ctrl.reconcile("default/web");
    expect(events).toEqual(["Warning SelectingAll This deployment is selecting all pods. A non-empty selector is required."]);
    expect(view.actions.map(describeAction)).toEqual(["update-status deployments default/web"]);
    expect(view.get(DEPLOY, "default", "web")!.status).toEqual({ observedGeneration: 1 });
  });
});

describe("deployment reconcile: hash collisions", () => {
  it("bumps collisionCount when another template holds the name, then uses a new name", () => {
    const { view, ctrl, d } = setup({ replicas: 1 });
    const hash = computeHash(d.spec.template);
    // Not selected by the deployment, so not adoptable: a true collision.
    view.seed(RS, newReplicaSet({ name: `web-${hash}`, labels: { app: "squatter" } }));
    expect(() => ctrl.reconcile("default/web")).toThrow(/already exists/);
    expect(view.get(DEPLOY, "default", "web")!.status.collisionCount).toBe(1);
    ctrl.reconcile("default/web");
    const next = computeHash(d.spec.template, 1);
    expect(next).not.toBe(hash);
    expect(view.get(RS, "default", `web-${next}`)).toBeDefined();
    expect(view.get(DEPLOY, "default", "web")!.status.collisionCount).toBe(1);
  });
});

describe("deployment reconcile: cleanup", () => {
  it("deletes the oldest empty ReplicaSets past revisionHistoryLimit once complete", () => {
    const { view, ctrl, d } = setup({ replicas: 2, image: "nginx:1.29", revisionHistoryLimit: 1 });
    seedOwnedRS(view, d, "nginx:1.25", 1, 0, 0, 400);
    seedOwnedRS(view, d, "nginx:1.26", 2, 0, 0, 300);
    seedOwnedRS(view, d, "nginx:1.27", 3, 0, 0, 200);
    const cur = seedOwnedRS(view, d, "nginx:1.29", 4, 2, 2, 100);
    view.userUpdateStatus(DEPLOY, "default", "web", (o) => (o.status = { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }));
    view.userUpdate(DEPLOY, "default", "web", (o) => (o.metadata.annotations = { "deployment.kubernetes.io/revision": "4" }));
    ctrl.reconcile("default/web");
    const deleted = view.actions.filter((a) => a.verb === "delete").map((a) => a.obj.metadata.annotations["deployment.kubernetes.io/revision"]);
    expect(deleted).toEqual(["1", "2"]);
    expect(view.list(RS, "default").map((r) => r.metadata.name)).toContain(cur.metadata.name);
  });
});

describe("deployment keysFor", () => {
  it("maps deployments, owned and orphan ReplicaSets, and (for Recreate) deleted pods", () => {
    const { view, ctrl, d } = setup();
    const rec = view.seed(DEPLOY, newDeployment({ name: "batch", strategy: { type: "Recreate" } }));
    const keys: string[][] = [];
    view.onChange((c) => keys.push(ctrl.keysFor(c)));
    view.userUpdate(DEPLOY, "default", "web", (o) => (o.spec.replicas = 3));
    const owned = view.seed(RS, newReplicaSet({ name: "owned", owner: d }));
    view.seed(RS, newReplicaSet({ name: "orphan", labels: { app: "batch" } }));
    const recRS = view.seed(RS, newReplicaSet({ name: "rec-rs", labels: { app: "batch", x: "1" }, owner: rec }));
    view.seed(POD, newPod({ name: "p1", owner: owned }));
    view.seed(POD, newPod({ name: "p2", owner: recRS, labels: { app: "batch", x: "1" } }));
    view.userDelete(POD, "default", "p1");
    view.userDelete(POD, "default", "p2");
    view.userDelete(RS, "default", "owned");
    expect(keys).toEqual([["default/web"], ["default/web"], ["default/batch"], ["default/batch"], [], [], [], ["default/batch"], ["default/web"]]);
  });
});
