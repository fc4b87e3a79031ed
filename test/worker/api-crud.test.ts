import { describe, expect, it } from "vitest";
import { api, configMap, deployment, json } from "./helpers";

const CM = "/api/v1/namespaces/default/configmaps";
const DEPLOY = "/apis/apps/v1/namespaces/default/deployments";

describe("authentication", () => {
  it("refuses requests without a token or with a wrong one", async () => {
    for (const token of [null, "wrong"]) {
      const r = await json(CM, { token });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    }
  });
  it("lets anyone read /version and health", async () => {
    const v = await json("/version", { token: null });
    expect(v.body).toMatchObject({ major: "1", minor: "32" });
    expect((await api("/healthz", { token: null })).status).toBe(200);
  });
});

describe("bootstrap", () => {
  it("has the four namespaces and the kubernetes service", async () => {
    const ns = await json("/api/v1/namespaces");
    expect(ns.body.items.map((n: any) => n.metadata.name).sort()).toEqual(["default", "kube-node-lease", "kube-public", "kube-system"]);
    const svc = await json("/api/v1/namespaces/default/services/kubernetes");
    expect(svc.body.spec.clusterIP).toBe("10.96.0.1");
  });
});

describe("create, get, update, delete", () => {
  it("creates with server-set metadata and rejects duplicates", async () => {
    const r = await json(CM, { body: configMap("c1") });
    expect(r.status).toBe(201);
    expect(r.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(0);
    const dup = await json(CM, { body: configMap("c1") });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ reason: "AlreadyExists", details: { name: "c1", kind: "configmaps" } });
    expect(dup.body.message).toBe('configmaps "c1" already exists');
  });

  it("answers NotFound for missing objects", async () => {
    const r = await json(`${CM}/nope`);
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('configmaps "nope" not found');
    const d = await json(`${DEPLOY}/nope`);
    expect(d.body.message).toBe('deployments.apps "nope" not found');
  });

  it("generates names from generateName", async () => {
    const r = await json(CM, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { generateName: "gen-" } } });
    expect(r.status).toBe(201);
    expect(r.body.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it("updates with compare-and-swap and answers Conflict for a stale resourceVersion", async () => {
    const created = (await json(CM, { body: configMap("cas") })).body;
    const first = await json(`${CM}/cas`, { method: "PUT", body: { ...created, data: { a: "2" } } });
    expect(first.status).toBe(200);
    expect(Number(first.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const stale = await json(`${CM}/cas`, { method: "PUT", body: { ...created, data: { a: "3" } } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe("Conflict");
    expect((await json(`${CM}/cas`)).body.data).toEqual({ a: "2" });
  });

  it("keeps uid and creationTimestamp through an update", async () => {
    const created = (await json(CM, { body: configMap("keep") })).body;
    const upd = await json(`${CM}/keep`, { method: "PUT", body: { ...created, metadata: { ...created.metadata, uid: undefined, creationTimestamp: "2000-01-01T00:00:00Z" } } });
    expect(upd.body.metadata.uid).toBe(created.metadata.uid);
    expect(upd.body.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp);
  });

  it("does not write a new revision for a no-op update", async () => {
    const created = (await json(CM, { body: configMap("noop") })).body;
    const upd = await json(`${CM}/noop`, { method: "PUT", body: created });
    expect(upd.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it("deletes and honours preconditions", async () => {
    const created = (await json(CM, { body: configMap("del") })).body;
    const bad = await json(`${CM}/del`, { method: "DELETE", body: { preconditions: { uid: "x" } } });
    expect(bad.status).toBe(409);
    const ok = await json(`${CM}/del`, { method: "DELETE", body: { propagationPolicy: "Background" } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ kind: "Status", status: "Success", details: { name: "del", uid: created.metadata.uid } });
    expect((await json(`${CM}/del`)).status).toBe(404);
  });

  it("writes nothing for dryRun=All", async () => {
    const r = await json(`${CM}?dryRun=All`, { body: configMap("dry") });
    expect(r.status).toBe(201);
    expect(r.body.metadata.name).toBe("dry");
    expect((await json(`${CM}/dry`)).status).toBe(404);
  });

  it("refuses to create into a namespace that does not exist", async () => {
    const r = await json("/api/v1/namespaces/ghost/configmaps", { body: configMap("x", "ghost") });
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('namespaces "ghost" not found');
  });
});

describe("generation and subresources", () => {
  it("bumps generation on spec changes only", async () => {
    const d = (await json(DEPLOY, { body: deployment("gen") })).body;
    expect(d.metadata.generation).toBe(1);
    const labelled = await json(`${DEPLOY}/gen`, { method: "PATCH", body: { metadata: { labels: { x: "y" } } }, contentType: "application/merge-patch+json" });
    expect(labelled.body.metadata.generation).toBe(1);
    const scaled = await json(`${DEPLOY}/gen`, { method: "PATCH", body: { spec: { replicas: 3 } }, contentType: "application/merge-patch+json" });
    expect(scaled.body.metadata.generation).toBe(2);
  });

  it("keeps status out of main-resource writes and spec out of status writes", async () => {
    const d = (await json(DEPLOY, { body: { ...deployment("st"), status: { replicas: 9 } } })).body;
    expect(d.status?.replicas).toBeUndefined();
    const s = await json(`${DEPLOY}/st/status`, { method: "PATCH", body: { status: { replicas: 1, observedGeneration: 1 }, spec: { replicas: 7 } }, contentType: "application/merge-patch+json" });
    expect(s.status).toBe(200);
    expect(s.body.status.replicas).toBe(1);
    expect(s.body.spec.replicas).toBe(1);
    // (The deployment controller writes status too, so only "not what the main resource sent" holds.)
    const m = await json(`${DEPLOY}/st`, { method: "PATCH", body: { status: { replicas: 5 } }, contentType: "application/merge-patch+json" });
    expect(m.status).toBe(200);
    expect(m.body.status?.replicas).not.toBe(5);
  });

  it("serves the scale subresource as autoscaling/v1 Scale", async () => {
    await json(DEPLOY, { body: deployment("sc", 2) });
    const s = await json(`${DEPLOY}/sc/scale`);
    expect(s.body).toMatchObject({ kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 2 }, status: { selector: "app=sc" } });
    const p = await json(`${DEPLOY}/sc/scale`, { method: "PATCH", body: { spec: { replicas: 4 } }, contentType: "application/merge-patch+json" });
    expect(p.body.spec.replicas).toBe(4);
    // kubectl scale --current-replicas sends a PUT without a Content-Type.
    const current = (await json(`${DEPLOY}/sc/scale`)).body;
    const put = await api(`${DEPLOY}/sc/scale`, { method: "PUT", raw: new TextEncoder().encode(JSON.stringify({ ...current, spec: { replicas: 5 } })) });
    expect([200, 409]).toContain(put.status);
    if (put.status === 409) {
      // The deployment controller wrote status in between; kubectl would re-read and retry.
      const again = (await json(`${DEPLOY}/sc/scale`)).body;
      expect((await json(`${DEPLOY}/sc/scale`, { method: "PUT", body: { ...again, spec: { replicas: 5 } } })).status).toBe(200);
    }
    const stale = await json(`${DEPLOY}/sc/scale`, { method: "PUT", body: { ...p.body, spec: { replicas: 6 } } });
    expect(stale.status).toBe(409);
    expect((await json(`${DEPLOY}/sc`)).body.spec.replicas).toBe(5);
  });

  it("binds a pod once through pods/binding", async () => {
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "bindme" }, spec: { containers: [{ name: "c", image: "busybox" }] } };
    await json("/api/v1/namespaces/default/pods", { body: pod });
    const b = await json("/api/v1/namespaces/default/pods/bindme/binding", { body: { apiVersion: "v1", kind: "Binding", metadata: { name: "bindme" }, target: { kind: "Node", name: "n1" } } });
    expect(b.status).toBe(201);
    const got = (await json("/api/v1/namespaces/default/pods/bindme")).body;
    expect(got.spec.nodeName).toBe("n1");
    expect(got.status.conditions.find((c: any) => c.type === "PodScheduled").status).toBe("True");
    const again = await json("/api/v1/namespaces/default/pods/bindme/binding", { body: { target: { kind: "Node", name: "n2" } } });
    expect(again.status).toBe(409);
  });
});

describe("finalizers", () => {
  it("deletes an object with finalizers only when the last one is removed", async () => {
    const c = (await json(CM, { body: { ...configMap("fin"), metadata: { name: "fin", finalizers: ["example.com/hold"] } } })).body;
    const del = await json(`${CM}/fin`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    expect((await json(`${CM}/fin`)).status).toBe(200);
    const cleared = await json(`${CM}/fin`, { method: "PATCH", body: { metadata: { finalizers: null } }, contentType: "application/merge-patch+json" });
    expect(cleared.status).toBe(200);
    expect((await json(`${CM}/fin`)).status).toBe(404);
    expect(c.metadata.uid).toBeDefined();
  });
});
