import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { findResource } from "../../src/resources/registry";
import { bootstrapCluster } from "../../src/store/bootstrap";
import type { ClusterStore } from "../../src/store/cluster-store";
import type { ObjectStore } from "../../src/store/objects";

function cluster(): DurableObjectStub<ClusterStore> {
  return env.CLUSTER.get(env.CLUSTER.idFromName("policy-reconcile"));
}

const roles = findResource("rbac.authorization.k8s.io", "v1", "clusterroles")!;

/** Runs `fn` on the object's store, as bootstrap does when the object starts. */
function withStore<T>(fn: (store: ObjectStore) => T): Promise<T> {
  return runInDurableObject(cluster() as DurableObjectStub, (instance: unknown) => fn((instance as { store: ObjectStore }).store));
}

describe("default policy reconciliation at start", () => {
  it("gives an older cluster's default role the rules a newer version added, keeping a user's own", async () => {
    await cluster().stats();
    const before = await withStore((s) => {
      const role = s.read(roles, "", "system:node-bootstrapper")!.obj;
      // As a cluster made before the rule existed would have it, plus a rule its admin added.
      s.update(roles, { ...role, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }] }, {});
      bootstrapCluster(s);
      return s.read(roles, "", "system:node-bootstrapper")!.obj.rules;
    });
    expect(before).toContainEqual({ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] });
    expect(before.some((r: any) => r.resources?.includes("nodecredentialrequests"))).toBe(true);
  });

  it("leaves a role alone when auto-update is switched off", async () => {
    const rules = await withStore((s) => {
      const role = s.read(roles, "", "system:node-bootstrapper")!.obj;
      const pinned = { ...role, metadata: { ...role.metadata, annotations: { "rbac.authorization.kubernetes.io/autoupdate": "false" } }, rules: [] };
      s.update(roles, pinned, {});
      bootstrapCluster(s);
      return s.read(roles, "", "system:node-bootstrapper")!.obj.rules;
    });
    expect(rules ?? []).toEqual([]);
  });
});
