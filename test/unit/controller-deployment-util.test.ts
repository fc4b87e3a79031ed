import { describe, expect, it } from "vitest";
import { computeHash, safeEncodeString } from "../../src/controllers/deployment/hash";
import {
  equalIgnoreHash,
  findActiveOrLatest,
  getProportion,
  isSaturated,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  resolveFenceposts,
  roundHalfAway,
  scaledValue,
  setNewReplicaSetAnnotations,
} from "../../src/controllers/deployment/util";
import { deploymentTimedOut, requeueStuckDeployment, setCondition } from "../../src/controllers/deployment/progress";
import { newDeployment, podTemplate } from "./fake-view";

type Obj = Record<string, any>;

const rs = (replicas: number, f: { annotations?: Obj; available?: number; created?: string; name?: string } = {}): Obj => ({
  metadata: { name: f.name ?? `rs-${replicas}`, annotations: f.annotations ?? {}, creationTimestamp: f.created ?? "2026-01-01T00:00:00Z", uid: f.name ?? `rs-${replicas}` },
  spec: { replicas },
  status: { availableReplicas: f.available ?? 0 },
});

const rolling = (replicas: number, surge: number | string, unavailable: number | string) =>
  newDeployment({ replicas, strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } });

describe("surge and unavailability", () => {
  it.each<[number | string, number | string, number, number, number]>([
    // maxSurge, maxUnavailable, replicas → surge, unavailable
    ["25%", "25%", 10, 3, 2], // 2.5 rounds up for surge, down for unavailable
    ["25%", "25%", 4, 1, 1],
    ["25%", "25%", 1, 1, 0], // 0.25 → surge 1, unavailable 0
    [1, 1, 4, 1, 1],
    [0, "10%", 5, 0, 1], // both resolve to 0: unavailable becomes 1
    [0, 0, 3, 0, 1],
    ["50%", 0, 3, 2, 0],
    ["100%", "100%", 7, 7, 7],
    ["0%", "1%", 50, 0, 1], // 0.5 → 0, both 0 → 1
  ])("maxSurge %j, maxUnavailable %j of %i → %i, %i", (s, u, replicas, surge, unavailable) => {
    expect(resolveFenceposts(s, u, replicas)).toEqual({ surge, unavailable });
  });

  it("caps unavailability at the replica count and is 0 for no replicas or Recreate", () => {
    expect(maxUnavailable(rolling(2, 0, 5))).toBe(2);
    expect(maxUnavailable(rolling(0, 1, 1))).toBe(0);
    const recreate = newDeployment({ replicas: 3, strategy: { type: "Recreate" } });
    expect(maxUnavailable(recreate)).toBe(0);
    expect(maxSurge(recreate)).toBe(0);
  });

  it.each<[number | string, number, boolean, number]>([
    ["25%", 10, true, 3],
    ["25%", 10, false, 2],
    ["33%", 3, true, 1],
    ["33%", 3, false, 0],
    [5, 100, false, 5],
  ])("scales %j of %i (round up %s) to %i", (v, total, up, out) => {
    expect(scaledValue(v, total, up)).toBe(out);
  });

  it("rejects a string that is not a percentage", () => {
    expect(() => scaledValue("3", 10, true)).toThrow(/not a percentage/);
  });
});

describe("how far the new ReplicaSet may grow", () => {
  it.each<[string, number, number, number, number]>([
    // label, replicas, old RS size, new RS size → new size (maxSurge 1)
    ["fresh rollout: the surge only", 4, 4, 0, 1],
    ["old shrank by one", 4, 3, 1, 2],
    ["already at the ceiling", 4, 4, 1, 1],
    ["never past replicas", 4, 0, 3, 4],
  ])("%s", (_l, replicas, oldSize, newSize, want) => {
    const d = rolling(replicas, 1, 1);
    const newRS = rs(newSize, { name: "new" });
    expect(newRSNewReplicas(d, [rs(oldSize, { name: "old" }), newRS], newRS)).toBe(want);
  });

  it("goes straight to replicas for Recreate", () => {
    const d = newDeployment({ replicas: 5, strategy: { type: "Recreate" } });
    const newRS = rs(0);
    expect(newRSNewReplicas(d, [rs(5, { name: "old" }), newRS], newRS)).toBe(5);
  });
});

describe("proportional scaling", () => {
  // Deployment 10 → 20, maxSurge 3 (int): sized for 13, now 23.
  const d = rolling(20, 3, 2);
  d.status = { replicas: 13 };
  const sized = (n: number) => rs(n, { annotations: { "deployment.kubernetes.io/max-replicas": "13" } });

  it.each<[string, Obj | undefined, number, number, number]>([
    ["8 of 13 → round(8 * 23 / 13) - 8 = 6", sized(8), 10, 0, 6],
    ["5 of 13 → round(5 * 23 / 13) - 5 = 4", sized(5), 10, 6, 4],
    ["capped by what is left", sized(5), 10, 8, 2],
    ["nothing to add", sized(5), 0, 0, 0],
    ["all handed out", sized(5), 10, 10, 0],
    ["an empty ReplicaSet gets nothing", sized(0), 10, 0, 0],
    ["no ReplicaSet", undefined, 10, 0, 0],
  ])("%s", (_l, r, toAdd, added, want) => {
    expect(getProportion(r, d, toAdd, added)).toBe(want);
  });

  it("falls back to status.replicas without the annotation, and takes everything when going to 0", () => {
    expect(getProportion(rs(8), d, 10, 0)).toBe(6);
    const zero = rolling(0, 3, 2);
    expect(getProportion(sized(8), zero, -13, 0)).toBe(-8);
  });

  it("scales down no further than asked", () => {
    const down = rolling(5, 3, 2); // 8 allowed, from 13: -5
    expect(getProportion(sized(8), down, -5, 0)).toBe(-3);
    expect(getProportion(sized(5), down, -5, -3)).toBe(-2);
    expect(getProportion(sized(5), down, -5, -4)).toBe(-1);
  });

  it("rounds halves away from zero like Go", () => {
    expect([roundHalfAway(2.5), roundHalfAway(-2.5), roundHalfAway(2.4), roundHalfAway(-0.4)]).toEqual([3, -3, 2, -0]);
  });
});

describe("replica set choice", () => {
  it("resizes the only active ReplicaSet, or the newest when none is active", () => {
    const a = rs(0, { name: "a", created: "2026-01-01T00:00:00Z" });
    const b = rs(0, { name: "b", created: "2026-01-01T00:01:00Z" });
    expect(findActiveOrLatest(undefined, [a, b])?.metadata.name).toBe("b");
    expect(findActiveOrLatest(rs(0, { name: "new" }), [a, b])?.metadata.name).toBe("new");
    expect(findActiveOrLatest(undefined, [rs(2, { name: "busy" }), b])?.metadata.name).toBe("busy");
    expect(findActiveOrLatest(rs(1, { name: "new" }), [rs(2, { name: "old" })])).toBeUndefined();
  });

  it("calls a new ReplicaSet saturated when sized, annotated and available at replicas", () => {
    const d = rolling(3, 1, 1);
    expect(isSaturated(d, rs(3, { available: 3, annotations: { "deployment.kubernetes.io/desired-replicas": "3" } }))).toBe(true);
    expect(isSaturated(d, rs(3, { available: 2, annotations: { "deployment.kubernetes.io/desired-replicas": "3" } }))).toBe(false);
    expect(isSaturated(d, rs(3, { available: 3, annotations: { "deployment.kubernetes.io/desired-replicas": "2" } }))).toBe(false);
    expect(isSaturated(d, rs(3, { available: 3 }))).toBe(false);
  });
});

describe("pod-template-hash", () => {
  const template = podTemplate({ app: "web" });

  it("is stable, independent of key order, and changes with the template and the collision count", () => {
    const h = computeHash(template);
    expect(h).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(computeHash(structuredClone(template))).toBe(h);
    const reordered = { spec: template.spec, metadata: template.metadata };
    expect(computeHash(reordered)).toBe(h);
    const other = structuredClone(template);
    other.spec.containers[0].image = "nginx:1.26";
    expect(computeHash(other)).not.toBe(h);
    expect(computeHash(template, 1)).not.toBe(h);
    expect(computeHash(template, 1)).not.toBe(computeHash(template, 2));
    expect(computeHash(template, 0)).not.toBe(h); // a set count (even 0) is part of the hash
  });

  it("pins known values so names survive refactors", () => {
    expect(computeHash({})).toBe(computeHash({}));
    expect(safeEncodeString("123")).toBe("567");
    expect(safeEncodeString("2166136261")).toBe("65bb57b6b5"); // "6" is 54, 54 % 27 = 0 → "b"
    expect(computeHash(template)).toMatchInlineSnapshot(`"65b94647c5"`);
  });

  it("compares templates ignoring the hash label and empty maps", () => {
    const a = structuredClone(template);
    const b = structuredClone(template);
    b.metadata.labels["pod-template-hash"] = "abc";
    b.metadata.annotations = {};
    b.spec.nodeSelector = {};
    expect(equalIgnoreHash(a, b)).toBe(true);
    b.spec.containers[0].image = "x";
    expect(equalIgnoreHash(a, b)).toBe(false);
  });
});

describe("revision annotations", () => {
  it("numbers a new ReplicaSet and gives it the replica annotations", () => {
    const d = rolling(3, "25%", "25%");
    d.metadata.annotations = { "kubernetes.io/change-cause": "why", "kubectl.kubernetes.io/last-applied-configuration": "{}", "deployment.kubernetes.io/revision": "7" };
    const r: Obj = { metadata: {} };
    expect(setNewReplicaSetAnnotations(d, r, 4, false)).toBe(true);
    expect(r.metadata.annotations).toEqual({
      "kubernetes.io/change-cause": "why",
      "deployment.kubernetes.io/revision": "4",
      "deployment.kubernetes.io/desired-replicas": "3",
      "deployment.kubernetes.io/max-replicas": "4",
    });
  });

  it("renumbers an old ReplicaSet becoming current and keeps its old numbers", () => {
    const d = rolling(3, 1, 1);
    const r: Obj = { metadata: { annotations: { "deployment.kubernetes.io/revision": "2", "deployment.kubernetes.io/revision-history": "1" } } };
    expect(setNewReplicaSetAnnotations(d, r, 5, true)).toBe(true);
    expect(r.metadata.annotations).toEqual({ "deployment.kubernetes.io/revision": "5", "deployment.kubernetes.io/revision-history": "1,2" });
    // Already the highest: nothing to do.
    expect(setNewReplicaSetAnnotations(d, r, 5, true)).toBe(false);
    expect(setNewReplicaSetAnnotations(d, r, 3, true)).toBe(false);
  });

  it("trims revision-history from the front past its length limit", () => {
    const d = rolling(3, 1, 1);
    const r: Obj = { metadata: { annotations: { "deployment.kubernetes.io/revision": "12", "deployment.kubernetes.io/revision-history": "9,10,11" } } };
    setNewReplicaSetAnnotations(d, r, 13, true, 8);
    expect(r.metadata.annotations["deployment.kubernetes.io/revision-history"]).toBe("10,11,12");
  });
});

describe("progress deadline arithmetic", () => {
  const d = newDeployment({ progressDeadlineSeconds: 600 });
  const t0 = Date.UTC(2026, 0, 1);
  const withProgressing = (reason: string) => {
    const status: Obj = {};
    setCondition(status, { type: "Progressing", status: "True", lastUpdateTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z", reason, message: "" });
    return status;
  };

  it.each<[string, number, boolean]>([
    ["3 minutes in", 180_000, false],
    ["at the deadline", 600_000, true],
    ["past it", 601_000, true],
  ])("times out %s: %s", (_l, after, out) => {
    expect(deploymentTimedOut(d, withProgressing("ReplicaSetUpdated"), t0 + after)).toBe(out);
  });

  it("never times out a completed rollout", () => {
    expect(deploymentTimedOut(d, withProgressing("NewReplicaSetAvailable"), t0 + 10_000_000)).toBe(false);
  });

  it("requeues at lastUpdateTime + deadline - now", () => {
    const stuck = { ...d, status: withProgressing("ReplicaSetUpdated") };
    // Updated 00:00:00, now 00:03:00, deadline 10 min → 7 min.
    expect(requeueStuckDeployment(stuck, { replicas: 1 }, t0 + 180_000)).toBe(420_000);
    expect(requeueStuckDeployment({ ...d, status: withProgressing("ProgressDeadlineExceeded") }, {}, t0)).toBeUndefined();
    const none = newDeployment();
    delete none.spec.progressDeadlineSeconds;
    expect(requeueStuckDeployment({ ...none, status: withProgressing("ReplicaSetUpdated") }, {}, t0)).toBeUndefined();
  });

  it("keeps lastTransitionTime when only the reason changes", () => {
    const status = withProgressing("ReplicaSetUpdated");
    setCondition(status, { type: "Progressing", status: "True", lastUpdateTime: "2026-01-01T00:05:00Z", lastTransitionTime: "2026-01-01T00:05:00Z", reason: "NewReplicaSetAvailable", message: "" });
    expect(status.conditions[0]).toMatchObject({ lastUpdateTime: "2026-01-01T00:05:00Z", lastTransitionTime: "2026-01-01T00:00:00Z" });
    // Same status and reason: untouched.
    setCondition(status, { type: "Progressing", status: "True", lastUpdateTime: "2026-01-01T00:09:00Z", lastTransitionTime: "2026-01-01T00:09:00Z", reason: "NewReplicaSetAvailable", message: "" });
    expect(status.conditions[0].lastUpdateTime).toBe("2026-01-01T00:05:00Z");
  });
});

describe("no requeue for a finished rollout", () => {
  it("does not poll a completed deployment that lost a pod", () => {
    const d = newDeployment({ replicas: 3 });
    const status: Obj = {};
    setCondition(status, { type: "Progressing", status: "True", lastUpdateTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z", reason: "NewReplicaSetAvailable", message: "" });
    expect(requeueStuckDeployment({ ...d, status }, { replicas: 3, updatedReplicas: 3, availableReplicas: 2 }, Date.UTC(2026, 0, 2))).toBeUndefined();
  });
});
