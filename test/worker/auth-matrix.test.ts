import { beforeAll, describe, expect, it } from "vitest";
import { expected, RESOURCES, type Verb } from "./auth-expectations";
import { BOOTSTRAP_TOKEN, createStaticUser, must, NODE, randomToken, ROBOT_RULES, setUpUsers, user, type Credentials, type UserKey } from "./auth-fixtures";
import { createTargets, runCell } from "./auth-matrix-run";
import { badTokens } from "./auth-tokens";
import { api, configMap, json, readEvents } from "./helpers";

const RBAC = "/apis/rbac.authorization.k8s.io/v1";
const USERS: UserKey[] = ["admin", "nsadmin", "editor", "viewer", "node", "bootstrap", "robot", "anonymous"];

let creds: Credentials;
let robotUid: string;

beforeAll(async () => {
  creds = await setUpUsers();
  await createTargets();
  robotUid = (await must("/api/v1/namespaces/alpha/serviceaccounts/robot")).metadata.uid;
});

const as = (who: UserKey) => creds[who];

function expectUnauthorized(r: { status: number; body: any }, token: string): void {
  expect(r.status).toBe(401);
  expect(r.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 });
  if (token.length > 3) expect(JSON.stringify(r.body)).not.toContain(token);
}

describe("the authorization matrix", () => {
  it("answers every user × verb × resource × namespace as Kubernetes does", async () => {
    const mismatches: string[] = [];
    let cells = 0;
    for (const who of USERS) {
      // Cells sharing a target object run in order; different targets run side by side.
      const groups = new Map<string, (() => Promise<void>)[]>();
      for (const spec of RESOURCES) {
        for (const column of spec.columns) {
          const key = `${spec.name.split("/")[0]} ${column}`;
          if (!groups.has(key)) groups.set(key, []);
          for (const verb of spec.verbs) {
            const n = cells++;
            const want = expected(who, spec.name, column, verb as Verb);
            groups.get(key)!.push(async () => {
              const got = await runCell(as(who), spec.name, column, verb, n);
              if (got.outcome !== want) mismatches.push(`${who} ${verb} ${spec.name} [${column}]: expected ${want}, got ${got.outcome} ${got.body.slice(0, 300)}`);
            });
          }
        }
      }
      await Promise.all([...groups.values()].map(async (steps) => {
        for (const step of steps) await step();
      }));
    }
    console.log(`authorization matrix: ${cells} cells, ${cells - mismatches.length} match`);
    expect(mismatches).toEqual([]);
  }, 900_000);
});

describe("watches", () => {
  it("never show a namespaced user objects outside what it may list", async () => {
    const beta = await json("/api/v1/namespaces/beta/configmaps?watch=1", { token: as("viewer") });
    expect(beta.status).toBe(403);
    expect(beta.body.message).toBe('configmaps is forbidden: User "viewer" cannot watch resource "configmaps" in API group "" in the namespace "beta"');
    const all = await json("/api/v1/configmaps?watch=1", { token: as("viewer") });
    expect(all.status).toBe(403);
    expect(all.body.message).toBe('configmaps is forbidden: User "viewer" cannot watch resource "configmaps" in API group "" at the cluster scope');
    expect((await json("/api/v1/secrets?watch=1", { token: as("editor") })).status).toBe(403);
    expect((await json("/api/v1/pods?watch=1", { token: as("nsadmin") })).status).toBe(403);

    const res = await api("/api/v1/namespaces/alpha/configmaps?watch=1", { token: as("viewer") });
    expect(res.status).toBe(200);
    await must("/api/v1/namespaces/beta/configmaps", { body: configMap("w-beta", "beta") });
    await must("/api/v1/namespaces/alpha/configmaps", { body: configMap("w-alpha", "alpha") });
    await must("/api/v1/namespaces/beta/configmaps/w-beta", { method: "PATCH", body: { data: { b: "2" } }, contentType: "application/merge-patch+json" });
    const events = await readEvents(res, 1000, 1500);
    const names = events.map((e) => `${e.object.metadata.namespace}/${e.object.metadata.name}`);
    expect(names).toContain("alpha/w-alpha");
    expect(names.filter((x) => !x.startsWith("alpha/"))).toEqual([]);
  });

  it("let a node watch only the pods bound to it", async () => {
    expect((await json("/api/v1/pods?watch=1", { token: as("node") })).status).toBe(403);
    const res = await api(`/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3D${NODE}`, { token: as("node") });
    expect(res.status).toBe(200);
    await must("/api/v1/namespaces/alpha/pods", { body: { apiVersion: "v1", kind: "Pod", metadata: { name: "elsewhere" }, spec: { nodeName: "node-9", containers: [{ name: "c", image: "busybox:local" }] } } });
    const events = await readEvents(res, 1000, 1500);
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.object.spec.nodeName !== NODE)).toEqual([]);
  });
});

describe("tokens that do not authenticate", () => {
  it("are refused with 401 Unauthorized, whatever is wrong with them", async () => {
    const bad = await badTokens(robotUid);
    const failures: string[] = [];
    for (const [label, token] of Object.entries(bad)) {
      const r = await json("/api/v1/namespaces/alpha/configmaps", { token });
      if (r.status !== 401 || r.body?.reason !== "Unauthorized") failures.push(`${label}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      else expectUnauthorized(r, token);
    }
    expect(failures).toEqual([]);
    console.log(`refused tokens: ${Object.keys(bad).length}`);
  });

  it("refuse a static token once revoked, or past its expiration", async () => {
    const token = randomToken();
    const secret = await createStaticUser(token, "revokee");
    expect((await json("/apis/authentication.k8s.io/v1/selfsubjectreviews", { token, body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } })).status).toBe(201);
    await must(`/api/v1/namespaces/kube-system/secrets/${secret}`, { method: "DELETE" });
    expectUnauthorized(await json("/api/v1/namespaces/alpha/configmaps", { token }), token);

    const old = randomToken();
    await createStaticUser(old, "late", [], new Date(Date.now() - 60_000).toISOString());
    expectUnauthorized(await json("/api/v1/namespaces/alpha/configmaps", { token: old }), old);
    const fresh = randomToken();
    await createStaticUser(fresh, "early", [], new Date(Date.now() + 3600_000).toISOString());
    expect((await json("/apis/authentication.k8s.io/v1/selfsubjectreviews", { token: fresh, body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } })).status).toBe(201);
  });

  it("refuse a service-account token whose ServiceAccount is gone", async () => {
    await must("/api/v1/namespaces/beta/serviceaccounts", { body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ghost" } } });
    const tr = await must("/api/v1/namespaces/beta/serviceaccounts/ghost/token", { body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} } });
    const token = tr.status.token;
    expect((await json("/apis/authentication.k8s.io/v1/selfsubjectreviews", { token, body: { kind: "SelfSubjectReview", apiVersion: "authentication.k8s.io/v1" } })).status).toBe(201);
    await must("/api/v1/namespaces/beta/serviceaccounts/ghost", { method: "DELETE" });
    expectUnauthorized(await json("/api/v1/namespaces/beta/configmaps", { token }), token);
  });

  it("leave anonymous requests 401 except on the public paths", async () => {
    expectUnauthorized(await json("/api/v1/namespaces", { token: null }), "");
    expect((await json("/version", { token: null })).status).toBe(200);
  });
});

describe("escalation prevention", () => {
  const role = (ns: string, name: string, rules: unknown[]) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name, namespace: ns }, rules });
  const binding = (kind: "RoleBinding" | "ClusterRoleBinding", name: string, roleName: string, ns?: string) => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
    subjects: [user("nsadmin")],
  });
  const GRANT = "is attempting to grant RBAC permissions not currently held";

  it("stops the namespace admin from granting what it does not hold", async () => {
    const secretsRule = [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }];
    const inBeta = await json(`${RBAC}/namespaces/beta/roles`, { token: as("nsadmin"), body: role("beta", "grab", secretsRule) });
    expect(inBeta.status).toBe(403);
    expect(inBeta.body.message).toBe('roles.rbac.authorization.k8s.io is forbidden: User "nsadmin" cannot create resource "roles" in API group "rbac.authorization.k8s.io" in the namespace "beta"');

    const nodesRule = [{ apiGroups: [""], resources: ["nodes"], verbs: ["get"] }];
    const escalate = await json(`${RBAC}/namespaces/alpha/roles`, { token: as("nsadmin"), body: role("alpha", "grab", nodesRule) });
    expect(escalate.status).toBe(403);
    expect(escalate.body.message).toBe(
      `roles.rbac.authorization.k8s.io "grab" is forbidden: user "nsadmin" (groups=["alpha-admins" "system:authenticated"]) ${GRANT}:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}`,
    );
    // Holding secrets in alpha, it may grant them there.
    expect((await json(`${RBAC}/namespaces/alpha/roles`, { token: as("nsadmin"), body: role("alpha", "secret-reader", secretsRule) })).status).toBe(201);

    const toAdmin = await json(`${RBAC}/namespaces/alpha/rolebindings`, { token: as("nsadmin"), body: binding("RoleBinding", "me-root", "cluster-admin", "alpha") });
    expect(toAdmin.status).toBe(403);
    expect(toAdmin.body.message).toContain(`rolebindings.rbac.authorization.k8s.io "me-root" is forbidden: user "nsadmin"`);
    expect(toAdmin.body.message).toContain(GRANT);

    const crb = await json(`${RBAC}/clusterrolebindings`, { token: as("nsadmin"), body: binding("ClusterRoleBinding", "me-root", "cluster-admin") });
    expect(crb.status).toBe(403);
    expect(crb.body.message).toBe('clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "nsadmin" cannot create resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope');
  });

  it("stops a user who may write ClusterRoleBindings from binding cluster-admin", async () => {
    const token = randomToken();
    await createStaticUser(token, "binder");
    await must(`${RBAC}/clusterroles`, { body: { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: "crb-writer" }, rules: [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterrolebindings"], verbs: ["create"] }] } });
    await must(`${RBAC}/clusterrolebindings`, { body: { ...binding("ClusterRoleBinding", "binder-crb-writer", "crb-writer"), subjects: [user("binder")] } });
    const root = await json(`${RBAC}/clusterrolebindings`, { token, body: { ...binding("ClusterRoleBinding", "binder-root", "cluster-admin"), subjects: [user("binder")] } });
    expect(root.status).toBe(403);
    expect(root.body.message).toBe(
      `clusterrolebindings.rbac.authorization.k8s.io "binder-root" is forbidden: user "binder" (groups=["system:authenticated"]) ${GRANT}:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n{NonResourceURLs:["*"], Verbs:["*"]}`,
    );
    // What it holds it may pass on.
    expect((await json(`${RBAC}/clusterrolebindings`, { token, body: { ...binding("ClusterRoleBinding", "binder-again", "crb-writer"), subjects: [user("editor")] } })).status).toBe(201);
  });
});

describe("reviews", () => {
  const ssar = async (who: UserKey, resourceAttributes: Record<string, string>) => {
    const r = await json("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", { token: as(who), body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes } } });
    expect(r.status).toBe(201);
    return r.body.status.allowed as boolean;
  };
  const ssrr = async (who: UserKey, namespace: string) => {
    const r = await json("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", { token: as(who), body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectRulesReview", spec: { namespace } } });
    expect(r.status).toBe(201);
    return r.body.status;
  };
  const whoami = async (who: UserKey) => (await must("/apis/authentication.k8s.io/v1/selfsubjectreviews", { token: as(who), body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } })).status.userInfo;

  it("answer SelfSubjectAccessReviews truthfully", async () => {
    expect(await ssar("nsadmin", { verb: "create", group: "rbac.authorization.k8s.io", resource: "roles", namespace: "alpha" })).toBe(true);
    expect(await ssar("nsadmin", { verb: "create", group: "rbac.authorization.k8s.io", resource: "roles", namespace: "beta" })).toBe(false);
    expect(await ssar("viewer", { verb: "list", resource: "pods", namespace: "alpha" })).toBe(true);
    expect(await ssar("viewer", { verb: "get", resource: "secrets", namespace: "alpha" })).toBe(false);
    expect(await ssar("viewer", { verb: "list", resource: "pods" })).toBe(false);
    expect(await ssar("robot", { verb: "patch", group: "apps", resource: "deployments", subresource: "scale", namespace: "alpha" })).toBe(true);
    expect(await ssar("robot", { verb: "patch", group: "apps", resource: "deployments", namespace: "alpha" })).toBe(false);
    expect(await ssar("node", { verb: "get", resource: "pods", namespace: "alpha", name: "target" })).toBe(true);
    expect(await ssar("admin", { verb: "delete", resource: "nodes" })).toBe(true);
  });

  it("list the rules a user holds in a namespace", async () => {
    const has = (rules: any[], group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    const alpha = await ssrr("viewer", "alpha");
    expect(has(alpha.resourceRules, "", "configmaps", "watch")).toBe(true);
    expect(has(alpha.resourceRules, "", "secrets", "get")).toBe(false);
    expect(has(alpha.resourceRules, "authorization.k8s.io", "selfsubjectaccessreviews", "create")).toBe(true);
    const beta = await ssrr("viewer", "beta");
    expect(has(beta.resourceRules, "", "configmaps", "get")).toBe(false);
    expect(beta.incomplete).toBe(false);
    const robot = await ssrr("robot", "alpha");
    for (const rule of ROBOT_RULES) expect(robot.resourceRules).toContainEqual(rule);
  });

  it("tell each user who they are", async () => {
    expect(await whoami("nsadmin")).toEqual({ username: "nsadmin", groups: ["alpha-admins", "system:authenticated"] });
    expect(await whoami("viewer")).toEqual({ username: "viewer", groups: ["viewers", "system:authenticated"] });
    const robot = await whoami("robot");
    expect(robot).toMatchObject({ username: "system:serviceaccount:alpha:robot", uid: robotUid, groups: ["system:serviceaccounts", "system:serviceaccounts:alpha", "system:authenticated"] });
    expect(robot.extra["authentication.kubernetes.io/credential-id"][0]).toMatch(/^JTI=/);
    expect(await whoami("node")).toMatchObject({ username: `system:node:${NODE}`, groups: ["system:nodes", "system:authenticated"] });
    expect(await whoami("bootstrap")).toMatchObject({ username: `system:bootstrap:${BOOTSTRAP_TOKEN.split(".")[0]}`, groups: ["system:bootstrappers", "system:authenticated"] });
    expect((await whoami("admin")).groups).toContain("system:masters");
  });
});

describe("NodeRestriction", () => {
  const patch = (path: string, body: unknown) => json(path, { token: as("node"), method: "PATCH", body, contentType: "application/merge-patch+json" });
  const lease = (name: string, ns = "kube-node-lease") => ({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: ns }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } });

  it("lets a node register and report itself, and nothing more", async () => {
    expect((await json("/api/v1/nodes", { token: as("node"), body: { apiVersion: "v1", kind: "Node", metadata: { name: NODE, labels: { "kubernetes.io/hostname": NODE } } } })).status).toBe(201);
    expect((await json(`/api/v1/nodes/${NODE}`, { token: as("node") })).status).toBe(200);
    expect((await patch(`/api/v1/nodes/${NODE}`, { metadata: { labels: { "example.com/rack": "r1" } } })).status).toBe(200);

    const role = await patch(`/api/v1/nodes/${NODE}`, { metadata: { labels: { "node-role.kubernetes.io/x": "" } } });
    expect(role.status).toBe(403);
    expect(role.body.message).toBe(`nodes "${NODE}" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/x`);

    const other = await patch("/api/v1/nodes/target-node", { metadata: { labels: { a: "b" } } });
    expect(other.status).toBe(403);
    expect(other.body.message).toBe(`nodes "target-node" is forbidden: node "${NODE}" is not allowed to modify node "target-node"`);
    const otherCreate = await json("/api/v1/nodes", { token: as("node"), body: { apiVersion: "v1", kind: "Node", metadata: { name: "node-2" } } });
    expect(otherCreate.status).toBe(403);

    expect((await json("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", { token: as("node"), body: lease(NODE) })).status).toBe(201);
    expect((await json(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${NODE}`, { token: as("node"), method: "PUT", body: lease(NODE) })).status).toBe(200);
    expect((await json("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", { token: as("node"), body: lease("node-2") })).status).toBe(403);
    expect((await json("/apis/coordination.k8s.io/v1/namespaces/default/leases", { token: as("node"), body: lease(NODE, "default") })).status).toBe(403);
  });
});
