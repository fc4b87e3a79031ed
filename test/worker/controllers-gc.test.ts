import { describe, expect, it } from "vitest";
import { configMap, json } from "./helpers";

const CM = "/api/v1/namespaces/default/configmaps";

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    v = await fn();
  }
  return v;
}

function ownedBy(name: string, owner: any, extra: Record<string, unknown> = {}) {
  return {
    ...configMap(name),
    metadata: { name, namespace: "default", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: owner.metadata.name, uid: owner.metadata.uid, ...extra }] },
  };
}

describe("garbage collection through the store's alarm", () => {
  it("deletes dependents of a deleted owner (Background)", async () => {
    const owner = (await json(CM, { body: configMap("owner-bg") })).body;
    await json(CM, { body: ownedBy("dep-bg", owner) });
    await json(`${CM}/owner-bg`, { method: "DELETE", body: { propagationPolicy: "Background" } });
    const r = await eventually(() => json(`${CM}/dep-bg`), (x) => x.status === 404);
    expect(r.status).toBe(404);
  });

  it("keeps dependents and drops their reference with Orphan", async () => {
    const owner = (await json(CM, { body: configMap("owner-or") })).body;
    await json(CM, { body: ownedBy("dep-or", owner) });
    const del = await json(`${CM}/owner-or`, { method: "DELETE", body: { propagationPolicy: "Orphan" } });
    expect(del.body.metadata.finalizers).toEqual(["orphan"]);
    await eventually(() => json(`${CM}/owner-or`), (x) => x.status === 404);
    const dep = await json(`${CM}/dep-or`);
    expect(dep.status).toBe(200);
    expect(dep.body.metadata.ownerReferences ?? []).toEqual([]);
  });

  it("deletes dependents before the owner with Foreground", async () => {
    const owner = (await json(CM, { body: configMap("owner-fg") })).body;
    await json(CM, { body: ownedBy("dep-fg", owner, { blockOwnerDeletion: true }) });
    const del = await json(`${CM}/owner-fg`, { method: "DELETE", body: { propagationPolicy: "Foreground" } });
    expect(del.body.metadata.finalizers).toEqual(["foregroundDeletion"]);
    await eventually(() => json(`${CM}/owner-fg`), (x) => x.status === 404);
    expect((await json(`${CM}/dep-fg`)).status).toBe(404);
  });

  it("empties and removes a deleted namespace", async () => {
    await json("/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "bye" } } });
    for (let i = 0; i < 5; i++) await json("/api/v1/namespaces/bye/configmaps", { body: configMap(`c${i}`, "bye") });
    const del = await json("/api/v1/namespaces/bye", { method: "DELETE" });
    expect(del.body.status.phase).toBe("Terminating");
    const gone = await eventually(() => json("/api/v1/namespaces/bye"), (x) => x.status === 404);
    expect(gone.status).toBe(404);
    expect((await json("/api/v1/namespaces/bye/configmaps")).body.items ?? []).toEqual([]);
  });
});
