import { describe, expect, it } from "vitest";
import type { Change } from "../../src/controllers/controller";
import { garbageCollector, gcKeysFor } from "../../src/controllers/gc/controller";
import { identityKey, identityOf, sweepKey } from "../../src/controllers/gc/keys";
import type { ResourceType } from "../../src/resources/registry";
import { ControllerLoop, GcFakeView, T } from "./gc-fake-view";

type Obj = Record<string, any>;

function ref(kind: string, owner: Obj, opts: { controller?: boolean; block?: boolean } = {}): Obj {
  const apiVersion = kind === "Deployment" || kind === "ReplicaSet" ? "apps/v1" : "v1";
  return { apiVersion, kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: opts.controller ?? true, blockOwnerDeletion: opts.block ?? true };
}

const meta = (name: string, ownerReferences?: Obj[], namespace = "default") => ({ name, namespace, ...(ownerReferences ? { ownerReferences } : {}) });
const deployment = (name: string) => ({ apiVersion: "apps/v1", kind: "Deployment", metadata: meta(name), spec: {} });
const replicaSet = (name: string, owners?: Obj[]) => ({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: meta(name, owners), spec: {} });
const pod = (name: string, owners?: Obj[], nodeName?: string) => ({ apiVersion: "v1", kind: "Pod", metadata: meta(name, owners), spec: nodeName ? { nodeName } : {} });

/** deployment web → replicasets web-a, web-b → two pods each. */
function seedDeployment(view: GcFakeView, nodeName?: string) {
  const [deploy] = view.seed(T.deployment, deployment("web"));
  const rss = view.seed(T.replicaSet, replicaSet("web-a", [ref("Deployment", deploy)]), replicaSet("web-b", [ref("Deployment", deploy)]));
  const pods = rss.flatMap((rs) =>
    view.seed(T.pod, pod(`${rs.metadata.name}-1`, [ref("ReplicaSet", rs)], nodeName), pod(`${rs.metadata.name}-2`, [ref("ReplicaSet", rs)], nodeName)),
  );
  return { deploy, rss, pods };
}

function setup(opts: { batchSize?: number } = {}) {
  const view = new GcFakeView();
  view.seed(T.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  const gc = garbageCollector(view, opts);
  const loop = new ControllerLoop(view, [gc]);
  return { view, gc, loop };
}

function change(rt: ResourceType, obj: Obj, old?: Obj, flags: { created?: boolean; deleted?: boolean } = {}): Change {
  return { rt, obj, old, created: flags.created ?? false, deleted: flags.deleted ?? false };
}

describe("garbage collector keysFor", () => {
  const rs = { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "web-a", namespace: "default", uid: "rs-uid" } };
  const owned = pod("web-a-1", [ref("ReplicaSet", rs)]);
  owned.metadata = { ...owned.metadata, uid: "pod-uid" } as any;
  const podKey = "pod-uid|v1|Pod|default|web-a-1";
  const rsKey = "rs-uid|apps/v1|ReplicaSet|default|web-a";
  const terminating = (o: Obj, finalizers: string[]) => ({ ...o, metadata: { ...o.metadata, deletionTimestamp: "2026-01-01T00:00:00Z", finalizers } });
  const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n1", uid: "node-uid" } };

  it.each<[string, Change, string[]]>([
    ["created with owners: check its owners", change(T.pod, owned, undefined, { created: true }), [podKey]],
    ["created without owners: nothing", change(T.pod, pod("lonely"), undefined, { created: true }), []],
    ["status update, same owners: nothing", change(T.pod, { ...owned, status: { phase: "Running" } }, owned), []],
    ["namespaced deletion: the namespace sweep and the owner it blocked", change(T.pod, owned, owned, { deleted: true }), [sweepKey("default"), rsKey]],
    ["cluster-scoped deletion: the object itself", change(T.node, node, node, { deleted: true }), ["node-uid|v1|Node||n1"]],
    ["marked for foreground deletion: the object as owner", change(T.replicaSet, terminating(rs, ["foregroundDeletion"]), rs), [rsKey]],
    ["marked for orphan deletion: the object as owner", change(T.replicaSet, terminating(rs, ["orphan"]), rs), [rsKey]],
    ["owner reference dropped: the object and the owner it blocked", change(T.pod, pod("web-a-1"), owned), [rsKey]],
    ["events are not collected", change(T.event, { metadata: { name: "e", namespace: "default", ownerReferences: [ref("ReplicaSet", rs)] } }, undefined, { created: true }), []],
  ])("%s", (_name, c, want) => {
    expect(gcKeysFor(c).sort()).toEqual(want.sort());
  });
});

describe("background propagation", () => {
  it("deleting a deployment removes its replicasets, then their pods", () => {
    const { view, loop } = setup();
    seedDeployment(view);
    view.delete(T.deployment, "default", "web", { propagationPolicy: "Background" });
    loop.settle();
    expect(view.names(T.replicaSet)).toEqual([]);
    expect(view.names(T.pod)).toEqual([]);
    expect(view.writes).toEqual([
      "delete deployments default/web",
      "delete replicasets default/web-a",
      "delete replicasets default/web-b",
      "delete pods default/web-a-1",
      "delete pods default/web-a-2",
      "delete pods default/web-b-1",
      "delete pods default/web-b-2",
    ]);
  });

  it("a dependent with another live owner only loses the reference", () => {
    const { view, loop } = setup();
    const [a, b] = view.seed(T.replicaSet, replicaSet("a"), replicaSet("b"));
    view.seed(T.pod, pod("shared", [ref("ReplicaSet", a), ref("ReplicaSet", b, { controller: false })]));
    view.delete(T.replicaSet, "default", "a");
    loop.settle();
    expect(view.get(T.pod, "default", "shared")!.metadata.ownerReferences.map((r: Obj) => r.name)).toEqual(["b"]);
    view.delete(T.replicaSet, "default", "b");
    loop.settle();
    expect(view.names(T.pod)).toEqual([]);
  });

  it.each([
    ["the namespace sweep", () => sweepKey("default")],
    ["the dependent's own key", (rs: Obj) => identityKey(identityOf(T.replicaSet, rs))],
  ])("an owner recreated under the same name counts as gone (%s)", (_name, keyFor) => {
    const { view, gc } = setup();
    const { rss } = seedDeployment(view);
    // The deletion is not seen by the collector: only the current state decides.
    view.delete(T.deployment, "default", "web");
    view.create(T.deployment, deployment("web"));
    gc.reconcile(keyFor(rss[0]));
    expect(view.names(T.replicaSet)).not.toContain("web-a");
  });

  it("a dependent created for an owner that does not exist is collected", () => {
    const { view, loop } = setup();
    view.create(T.pod, pod("orphaned", [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "nope", uid: "nope-uid", controller: true }]));
    loop.settle();
    expect(view.names(T.pod)).toEqual([]);
  });

  it("references to kinds this server does not serve never cause a deletion", () => {
    const { view, gc } = setup();
    view.seed(T.pod, pod("custom", [{ apiVersion: "example.com/v1", kind: "Widget", name: "w", uid: "w-uid" }]));
    expect(gc.reconcile(sweepKey("default"))).toBeUndefined();
    expect(view.names(T.pod)).toEqual(["custom"]);
  });

  it("a cluster-scoped owner's dependents go from every namespace", () => {
    const { view, loop } = setup();
    view.seed(T.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-node-lease" } });
    const [node] = view.seed(T.node, { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } });
    const nodeRef = { apiVersion: "v1", kind: "Node", name: "n1", uid: node.metadata.uid };
    view.seed(T.lease, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "n1", namespace: "kube-node-lease", ownerReferences: [nodeRef] } });
    view.seed(T.pod, pod("mirror", [nodeRef]));
    view.delete(T.node, "", "n1");
    loop.settle();
    expect(view.names(T.lease)).toEqual([]);
    expect(view.names(T.pod)).toEqual([]);
  });
});

describe("foreground propagation", () => {
  it("removes dependents first; the owner goes once nothing blocking is left", () => {
    const { view, loop } = setup();
    const { deploy } = seedDeployment(view, "node-1");
    // Deleted with the deployment, but not waited for (blockOwnerDeletion: false).
    view.seed(T.pod, pod("sidecar", [ref("Deployment", deploy, { controller: false, block: false })], "node-1"));
    view.delete(T.deployment, "default", "web", { propagationPolicy: "Foreground" });
    loop.settle();

    // Pods bound to a node terminate gracefully: everything above them waits.
    const d = view.get(T.deployment, "default", "web")!;
    expect(d.metadata.finalizers).toEqual(["foregroundDeletion"]);
    for (const rs of view.list(T.replicaSet, "default")) {
      expect(rs.metadata.deletionTimestamp).toBeTruthy();
      expect(rs.metadata.finalizers).toEqual(["foregroundDeletion"]);
    }
    expect(view.list(T.pod, "default").every((p) => p.metadata.deletionTimestamp)).toBe(true);

    view.finishGraceful("default", "web-a-1");
    view.finishGraceful("default", "web-a-2");
    loop.settle();
    expect(view.names(T.replicaSet)).toEqual(["web-b"]);
    expect(view.get(T.deployment, "default", "web")).toBeDefined();

    view.finishGraceful("default", "web-b-1");
    view.finishGraceful("default", "web-b-2");
    loop.settle();
    expect(view.names(T.replicaSet)).toEqual([]);
    expect(view.get(T.deployment, "default", "web")).toBeUndefined();
    // The non-blocking dependent was deleted but the owner did not wait for it.
    expect(view.names(T.pod)).toEqual(["sidecar"]);
    expect(view.writes.indexOf("delete deployments default/web")).toBeGreaterThan(view.writes.indexOf("delete replicasets default/web-b"));
  });

  it("leaves a dependent with another live owner, dropping only the reference", () => {
    const { view, loop } = setup();
    const [a, b] = view.seed(T.replicaSet, replicaSet("a"), replicaSet("b"));
    view.seed(T.pod, pod("shared", [ref("ReplicaSet", a), ref("ReplicaSet", b, { controller: false })]));
    view.delete(T.replicaSet, "default", "a", { propagationPolicy: "Foreground" });
    loop.settle();
    expect(view.names(T.replicaSet)).toEqual(["b"]);
    expect(view.get(T.pod, "default", "shared")!.metadata.ownerReferences.map((r: Obj) => r.name)).toEqual(["b"]);
  });

  it("waits while a blocking dependent remains and asks to look again later", () => {
    const { view, gc } = setup();
    const [rs] = view.seed(T.replicaSet, replicaSet("web-a"));
    view.seed(T.pod, pod("p", [ref("ReplicaSet", rs)], "node-1"));
    view.delete(T.replicaSet, "default", "web-a", { propagationPolicy: "Foreground" });
    const key = identityKey(identityOf(T.replicaSet, rs));
    expect(gc.reconcile(key)).toEqual({ requeueAfterMs: 0 }); // deleted the pod
    expect(gc.reconcile(key)).toEqual({ requeueAfterMs: 60_000 }); // it is still terminating
    view.finishGraceful("default", "p");
    expect(gc.reconcile(key)).toBeUndefined();
    expect(view.names(T.replicaSet)).toEqual([]);
  });
});

describe("orphan propagation", () => {
  it("removes the owner's references, keeps the dependents, then lets the owner go", () => {
    const { view, loop } = setup();
    const { deploy } = seedDeployment(view);
    const [other] = view.seed(T.deployment, deployment("other"));
    view.seed(T.replicaSet, replicaSet("web-c", [ref("Deployment", deploy), ref("Deployment", other, { controller: false })]));
    view.delete(T.deployment, "default", "web", { propagationPolicy: "Orphan" });
    loop.settle();
    expect(view.get(T.deployment, "default", "web")).toBeUndefined();
    expect(view.names(T.replicaSet)).toEqual(["web-a", "web-b", "web-c"]);
    expect(view.get(T.replicaSet, "default", "web-a")!.metadata.ownerReferences).toBeUndefined();
    expect(view.get(T.replicaSet, "default", "web-c")!.metadata.ownerReferences.map((r: Obj) => r.name)).toEqual(["other"]);
    expect(view.names(T.pod)).toHaveLength(4);
    expect(view.writes.at(-1)).toBe("delete deployments default/web");
  });
});

describe("batching", () => {
  it("a sweep makes at most batchSize writes and requeues itself to continue", () => {
    const { view, gc } = setup({ batchSize: 100 });
    const [rs] = view.seed(T.replicaSet, replicaSet("big"));
    view.seed(T.pod, ...Array.from({ length: 250 }, (_, i) => pod(`big-${i}`, [ref("ReplicaSet", rs)])));
    view.delete(T.replicaSet, "default", "big");
    const left: number[] = [];
    let res;
    do {
      view.writes.length = 0;
      res = gc.reconcile(sweepKey("default"));
      left.push(view.writes.length);
    } while (res?.requeueAfterMs === 0);
    expect(left).toEqual([100, 100, 50, 0]);
    expect(view.names(T.pod)).toEqual([]);
  });

  it("a thousand pods are collected in a handful of alarm passes", () => {
    const { view, loop } = setup();
    const [deploy] = view.seed(T.deployment, deployment("web"));
    const [rs] = view.seed(T.replicaSet, replicaSet("web-a", [ref("Deployment", deploy)]));
    view.seed(T.pod, ...Array.from({ length: 1000 }, (_, i) => pod(`web-a-${i}`, [ref("ReplicaSet", rs)])));
    view.delete(T.deployment, "default", "web");
    loop.settle();
    expect(view.names(T.pod)).toEqual([]);
    expect(view.names(T.replicaSet)).toEqual([]);
    expect(loop.passes).toBeLessThanOrEqual(15);
  });
});
