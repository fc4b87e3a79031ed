import { describe, expect, it } from "vitest";
import { deploymentController } from "../../src/controllers/deployment/controller";
import { computeHash } from "../../src/controllers/deployment/hash";
import { replicaSetController } from "../../src/controllers/replicaset/controller";
import { DEPLOY, Driver, FakeView, kubeletStep, newDeployment, POD, RS, type DeploymentFixture } from "./fake-view";

type Obj = Record<string, any>;

/** A cluster with both controllers, a kubelet the test drives, and a deployment "web". */
function cluster(f: DeploymentFixture) {
  const view = new FakeView();
  const events: string[] = [];
  const recordEvent = (o: Obj, type: string, reason: string, message: string) => events.push(`${o.kind ?? ""} ${type} ${reason} ${message}`);
  const driver = new Driver(view, [replicaSetController(view, { recordEvent }), deploymentController(view, { recordEvent })]);
  view.create(DEPLOY, newDeployment(f));
  driver.runUntilIdle();
  const api = {
    view,
    driver,
    events,
    deployment: () => view.get(DEPLOY, "default", "web")!,
    replicaSets: () => view.list(RS, "default").sort((a, b) => Number(a.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? 0) - Number(b.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? 0)),
    pods: () => view.list(POD, "default").filter((p) => !p.metadata.deletionTimestamp),
    readyPods: () => api.pods().filter((p) => (p.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True")),
    podsOf: (rs: Obj) => api.pods().filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid),
    edit: (mutate: (d: Obj) => void) => {
      view.userUpdate(DEPLOY, "default", "web", mutate);
      return driver.runUntilIdle();
    },
    /** Kubelet marks pods ready, then the controllers catch up; returns the pods made ready. */
    kubelet: (filter?: (p: Obj) => boolean) => {
      const n = kubeletStep(view, filter);
      driver.runUntilIdle();
      return n;
    },
    settle: () => {
      for (let i = 0; i < 50 && api.kubelet() > 0; i++);
    },
  };
  return api;
}

describe("rolling update", () => {
  it("replaces 4 pods with maxSurge 1 / maxUnavailable 1 without breaking either bound", () => {
    const c = cluster({ replicas: 4, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } });
    c.settle();
    expect(c.readyPods()).toHaveLength(4);
    expect(c.deployment().status).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4, observedGeneration: 1 });
    const [oldRS] = c.replicaSets();

    let checks = 0;
    c.view.onChange(() => {
      checks++;
      expect(c.pods().length).toBeLessThanOrEqual(5);
      expect(c.readyPods().length).toBeGreaterThanOrEqual(3);
    });
    c.edit((d) => (d.spec.template.spec.containers[0].image = "nginx:1.26"));
    for (let step = 0; step < 20 && c.kubelet() > 0; step++);

    const rss = c.replicaSets();
    expect(rss).toHaveLength(2);
    const newRS = rss.find((r) => r.metadata.uid !== oldRS.metadata.uid)!;
    expect(c.podsOf(newRS)).toHaveLength(4);
    expect(c.podsOf(oldRS)).toHaveLength(0);
    expect(checks).toBeGreaterThan(20);
    expect(c.driver.errors).toEqual([]);
    const d = c.deployment();
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    expect(d.status).toMatchObject({ observedGeneration: 2, replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 });
    expect(d.status.unavailableReplicas).toBeUndefined();
    expect(d.status.conditions.map((x: Obj) => [x.type, x.status, x.reason])).toEqual([
      ["Available", "True", "MinimumReplicasAvailable"],
      ["Progressing", "True", "NewReplicaSetAvailable"],
    ]);
    expect(c.events.filter((e) => e.startsWith("Deployment"))).toEqual([
      `Deployment Normal ScalingReplicaSet Scaled up replica set ${oldRS.metadata.name} from 0 to 4`,
      `Deployment Normal ScalingReplicaSet Scaled up replica set ${newRS.metadata.name} from 0 to 1`,
      `Deployment Normal ScalingReplicaSet Scaled down replica set ${oldRS.metadata.name} from 4 to 3`,
      `Deployment Normal ScalingReplicaSet Scaled up replica set ${newRS.metadata.name} from 1 to 2`,
      `Deployment Normal ScalingReplicaSet Scaled down replica set ${oldRS.metadata.name} from 3 to 1`,
      `Deployment Normal ScalingReplicaSet Scaled up replica set ${newRS.metadata.name} from 2 to 4`,
      `Deployment Normal ScalingReplicaSet Scaled down replica set ${oldRS.metadata.name} from 1 to 0`,
    ]);
  });
});

describe("recreate", () => {
  it("scales the old ReplicaSet to 0 and waits for its pods to be gone before creating the new one", () => {
    const c = cluster({ replicas: 3, strategy: { type: "Recreate" } });
    c.settle();
    const [oldRS] = c.replicaSets();
    // Old pods take a while to go (a finalizer stands in for a graceful shutdown).
    for (const p of c.pods()) c.view.userUpdate(POD, "default", p.metadata.name, (o) => (o.metadata.finalizers = ["example.com/drain"]));
    c.driver.runUntilIdle();

    let overlap = false;
    c.view.onChange(() => {
      const owners = new Set(c.view.list(POD, "default").map((p) => p.metadata.ownerReferences?.[0]?.uid));
      if (owners.has(oldRS.metadata.uid) && owners.size > 1) overlap = true;
    });
    c.edit((d) => (d.spec.template.spec.containers[0].image = "nginx:1.26"));
    expect(c.replicaSets()).toHaveLength(1);
    expect(c.view.get(RS, "default", oldRS.metadata.name)!.spec.replicas).toBe(0);
    expect(c.view.list(POD, "default").every((p) => p.metadata.deletionTimestamp)).toBe(true);

    for (const p of c.view.list(POD, "default")) c.view.userUpdate(POD, "default", p.metadata.name, (o) => (o.metadata.finalizers = []));
    c.driver.runUntilIdle();
    const rss = c.replicaSets();
    expect(rss).toHaveLength(2);
    const newRS = rss[1];
    expect(newRS.spec.replicas).toBe(3);
    c.settle();
    expect(c.podsOf(newRS)).toHaveLength(3);
    expect(overlap).toBe(false);
    expect(c.events.filter((e) => e.includes("ScalingReplicaSet"))).toEqual([
      `Deployment Normal ScalingReplicaSet Scaled up replica set ${oldRS.metadata.name} from 0 to 3`,
      `Deployment Normal ScalingReplicaSet Scaled down replica set ${oldRS.metadata.name} from 3 to 0`,
      `Deployment Normal ScalingReplicaSet Scaled up replica set ${newRS.metadata.name} from 0 to 3`,
    ]);
    expect(c.deployment().status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect(c.driver.errors).toEqual([]);
  });
});

describe("paused", () => {
  it("does not roll out while paused, still scales, and resumes", () => {
    const c = cluster({ replicas: 2 });
    c.settle();
    c.edit((d) => (d.spec.paused = true));
    expect(c.deployment().status.conditions.find((x: Obj) => x.type === "Progressing")).toMatchObject({ status: "Unknown", reason: "DeploymentPaused", message: "Deployment is paused" });
    c.edit((d) => (d.spec.template.spec.containers[0].image = "nginx:1.26"));
    c.settle();
    expect(c.replicaSets()).toHaveLength(1);
    c.edit((d) => (d.spec.replicas = 5));
    c.settle();
    expect(c.replicaSets()).toHaveLength(1);
    expect(c.replicaSets()[0].spec.replicas).toBe(5);
    expect(c.pods()).toHaveLength(5);
    expect(c.deployment().status).toMatchObject({ replicas: 5, availableReplicas: 5, observedGeneration: 4 });
    // The template change is pending: not counted as updated.
    expect(c.deployment().status.updatedReplicas).toBeUndefined();

    c.edit((d) => delete d.spec.paused);
    expect(c.replicaSets()).toHaveLength(2);
    c.settle();
    const d = c.deployment();
    expect(d.status).toMatchObject({ replicas: 5, updatedReplicas: 5, availableReplicas: 5 });
    expect(d.status.conditions.find((x: Obj) => x.type === "Progressing")).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });
    expect(c.driver.errors).toEqual([]);
  });
});

describe("scaling mid-rollout", () => {
  it("shares the new replicas between old and new ReplicaSets in proportion", () => {
    const c = cluster({ replicas: 10, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    c.settle();
    const [oldRS] = c.replicaSets();
    // New pods never become ready, so the rollout stalls half way.
    c.edit((d) => (d.spec.template.spec.containers[0].image = "nginx:1.26"));
    const sizes = () => c.replicaSets().map((r) => [r.metadata.uid === oldRS.metadata.uid ? "old" : "new", r.spec.replicas]);
    expect(sizes()).toEqual([["old", 8], ["new", 5]]);

    // 20 replicas + 3 surge = 23, from 13: 10 to add.
    // old: round(8 * 23 / 13) - 8 = 14 - 8 = 6; new: round(5 * 23 / 13) - 5 = 9 - 5 = 4.
    c.edit((d) => (d.spec.replicas = 20));
    expect(sizes()).toEqual([["old", 14], ["new", 9]]);
    for (const rs of c.replicaSets()) {
      expect(rs.metadata.annotations["deployment.kubernetes.io/desired-replicas"]).toBe("20");
      expect(rs.metadata.annotations["deployment.kubernetes.io/max-replicas"]).toBe("23");
    }

    c.settle();
    expect(sizes()).toEqual([["old", 0], ["new", 20]]);
    expect(c.pods()).toHaveLength(20);
    expect(c.driver.errors).toEqual([]);
  });

  it("scales down proportionally too", () => {
    const c = cluster({ replicas: 10, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
    c.settle();
    const [oldRS] = c.replicaSets();
    c.edit((d) => (d.spec.template.spec.containers[0].image = "nginx:1.26"));
    const sizes = () => c.replicaSets().map((r) => [r.metadata.uid === oldRS.metadata.uid ? "old" : "new", r.spec.replicas]);
    // 5 + 3 = 8 allowed, from 13: 5 to remove, largest (oldest on ties) first.
    // old: round(8 * 8 / 13) - 8 = 5 - 8 = -3; new: round(5 * 8 / 13) - 5 = 3 - 5 = -2.
    const before = c.events.length;
    c.edit((d) => (d.spec.replicas = 5));
    const [newRS] = c.replicaSets().filter((r) => r.metadata.uid !== oldRS.metadata.uid);
    expect(c.events.slice(before).filter((e) => e.includes("ScalingReplicaSet")).slice(0, 2)).toEqual([
      `Deployment Normal ScalingReplicaSet Scaled down replica set ${oldRS.metadata.name} from 8 to 5`,
      `Deployment Normal ScalingReplicaSet Scaled down replica set ${newRS.metadata.name} from 5 to 3`,
    ]);
    // The rollout then carries on within the new bounds: 5 + 3 pods at most, 3 available at least.
    expect(sizes()).toEqual([["old", 3], ["new", 5]]);
    c.settle();
    expect(sizes()).toEqual([["old", 0], ["new", 5]]);
  });
});

describe("progress deadline", () => {
  it("reports ProgressDeadlineExceeded when a rollout stops progressing", () => {
    const c = cluster({ replicas: 2, progressDeadlineSeconds: 60 });
    c.settle();
    c.edit((d) => (d.spec.template.spec.containers[0].image = "broken:1"));
    // The new pods never get ready.
    const healthy = (p: Obj) => p.spec.containers[0].image !== "broken:1";
    c.kubelet(healthy);
    const newRS = c.replicaSets()[1];
    const progressing = () => c.deployment().status.conditions.find((x: Obj) => x.type === "Progressing");
    expect(progressing()).toMatchObject({ status: "True", reason: "ReplicaSetUpdated", message: `ReplicaSet "${newRS.metadata.name}" is progressing.` });
    // Looked at again when lastUpdateTime + 60 s passes.
    expect(c.driver.nextDelay()).toBe(60_000);
    c.driver.advance(30_000);
    expect(progressing().reason).toBe("ReplicaSetUpdated");
    c.driver.advance(30_000);
    expect(progressing()).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded", message: `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` });
    expect(c.driver.nextDelay()).toBeUndefined();

    // A fix rolls out and clears it.
    c.edit((d) => (d.spec.template.spec.containers[0].image = "nginx:1.27"));
    c.settle();
    expect(progressing()).toMatchObject({ status: "True", reason: "NewReplicaSetAvailable" });
    expect(c.driver.errors).toEqual([]);
  });
});

describe("revision history", () => {
  it("keeps revisionHistoryLimit old ReplicaSets", () => {
    const c = cluster({ replicas: 1, revisionHistoryLimit: 2 });
    c.settle();
    for (const v of ["1.26", "1.27", "1.28", "1.29"]) {
      c.edit((d) => (d.spec.template.spec.containers[0].image = `nginx:${v}`));
      c.settle();
    }
    const revs = c.replicaSets().map((r) => r.metadata.annotations["deployment.kubernetes.io/revision"]);
    expect(revs).toEqual(["3", "4", "5"]);
    expect(c.deployment().metadata.annotations["deployment.kubernetes.io/revision"]).toBe("5");
  });

  it("reuses an old ReplicaSet when the template goes back to it, renumbering it", () => {
    const c = cluster({ replicas: 2 });
    c.settle();
    const v1 = structuredClone(c.deployment().spec.template);
    const [rs1] = c.replicaSets();
    c.edit((d) => {
      d.spec.template.spec.containers[0].image = "nginx:1.26";
      d.metadata.annotations = { ...(d.metadata.annotations ?? {}), "kubernetes.io/change-cause": "bump to 1.26" };
    });
    c.settle();
    expect(c.replicaSets().map((r) => r.metadata.annotations["deployment.kubernetes.io/revision"])).toEqual(["1", "2"]);
    expect(c.replicaSets()[1].metadata.annotations["kubernetes.io/change-cause"]).toBe("bump to 1.26");

    // What kubectl rollout undo sends: the old RS template without its hash label.
    c.edit((d) => (d.spec.template = v1));
    c.settle();
    const rss = c.replicaSets();
    expect(rss).toHaveLength(2);
    const back = rss[1];
    expect(back.metadata.uid).toBe(rs1.metadata.uid);
    expect(back.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    expect(back.metadata.annotations["deployment.kubernetes.io/revision-history"]).toBe("1");
    expect(back.spec.replicas).toBe(2);
    expect(rss[0].spec.replicas).toBe(0);
    expect(c.deployment().metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    expect(c.podsOf(back)).toHaveLength(2);
    expect(computeHash(v1)).toBe(back.metadata.labels["pod-template-hash"]);
  });
});

describe("minReadySeconds", () => {
  it("counts new pods only after they have been ready long enough, waiting on the clock", () => {
    const c = cluster({ replicas: 2, minReadySeconds: 5, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    c.kubelet();
    expect(c.deployment().status.availableReplicas).toBeUndefined();
    expect(c.driver.nextDelay()).toBe(5_000);
    c.driver.advance(5_000);
    expect(c.deployment().status).toMatchObject({ availableReplicas: 2 });
    expect(c.replicaSets()[0].spec.minReadySeconds).toBe(5);

    c.edit((d) => (d.spec.template.spec.containers[0].image = "nginx:1.26"));
    const [, newRS] = c.replicaSets();
    expect(newRS.spec.replicas).toBe(1);
    for (let i = 0; i < 10; i++) {
      c.kubelet();
      const wait = c.driver.nextDelay();
      if (wait === undefined || wait > 5_000) break;
      c.driver.advance(wait);
      // Never fewer than 2 available: maxUnavailable 0.
      expect(c.deployment().status.availableReplicas ?? 0).toBeGreaterThanOrEqual(2);
    }
    expect(c.podsOf(c.view.get(RS, "default", newRS.metadata.name)!)).toHaveLength(2);
    expect(c.deployment().status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
    expect(c.driver.errors).toEqual([]);
  });
});
