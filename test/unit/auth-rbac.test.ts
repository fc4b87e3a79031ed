import { describe, expect, it } from "vitest";
import { defaultClusterRoleBindings, defaultClusterRoles } from "../../src/auth/default-policy";
import { aggregateClusterRoles, authorize, forbiddenError, forbiddenMessage, rulesFor, type RbacSnapshot } from "../../src/auth/rbac";
import type { ClusterRole, RoleBinding } from "../../src/auth/rbac-types";
import { attributesOf, type Attributes } from "../../src/auth/request-attributes";

const RBAC = "rbac.authorization.k8s.io";
const rb = (ns: string, name: string, kind: "Role" | "ClusterRole", role: string, subjects: RoleBinding["subjects"]): RoleBinding => ({
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: RBAC, kind, name: role },
  subjects,
});

const snapshot: RbacSnapshot = {
  clusterRoles: aggregateClusterRoles(defaultClusterRoles()),
  clusterRoleBindings: [...defaultClusterRoleBindings()],
  roles: [
    {
      metadata: { name: "pod-reader", namespace: "team-a" },
      rules: [
        { verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] },
        { verbs: ["get"], apiGroups: [""], resources: ["pods/log"] },
        { verbs: ["get", "list", "update"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["app-config"] },
      ],
    },
  ],
  roleBindings: [
    rb("team-a", "alice-admin", "ClusterRole", "admin", [{ kind: "User", name: "alice", apiGroup: RBAC }]),
    rb("team-a", "editors", "ClusterRole", "edit", [{ kind: "Group", name: "editors", apiGroup: RBAC }]),
    rb("team-a", "vic-view", "ClusterRole", "view", [{ kind: "User", name: "vic", apiGroup: RBAC }]),
    // No namespace on the subject: it defaults to the binding's namespace.
    rb("team-a", "builder", "Role", "pod-reader", [{ kind: "ServiceAccount", name: "builder" }]),
  ],
};

const users = {
  root: { name: "root", groups: ["system:masters", "system:authenticated"] },
  alice: { name: "alice", groups: ["system:authenticated"] },
  ed: { name: "ed", groups: ["editors", "system:authenticated"] },
  vic: { name: "vic", groups: ["system:authenticated"] },
  sa: { name: "system:serviceaccount:team-a:builder", groups: ["system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"] },
  anon: { name: "system:anonymous", groups: ["system:unauthenticated"] },
};
type Who = keyof typeof users;

const req = (method: string, path: string): Attributes => attributesOf(method, new URL(`https://k${path}`));

// Each row: request, then the answer for root, alice (admin in team-a), ed (edit), vic (view), sa (pod-reader), anon.
const matrix: [string, string, [boolean, boolean, boolean, boolean, boolean, boolean]][] = [
  ["GET", "/api/v1/namespaces/team-a/pods", [true, true, true, true, true, false]],
  ["GET", "/api/v1/namespaces/team-b/pods", [true, false, false, false, false, false]],
  ["GET", "/api/v1/pods", [true, false, false, false, false, false]],
  ["GET", "/api/v1/namespaces/team-a/pods/web", [true, true, true, true, true, false]],
  ["POST", "/api/v1/namespaces/team-a/pods", [true, true, true, false, false, false]],
  ["DELETE", "/api/v1/namespaces/team-a/pods/web", [true, true, true, false, false, false]],
  ["DELETE", "/api/v1/namespaces/team-a/pods", [true, true, true, false, false, false]],
  ["GET", "/api/v1/namespaces/team-a/pods/web/log", [true, true, true, true, true, false]],
  ["GET", "/api/v1/namespaces/team-b/pods/web/log", [true, false, false, false, false, false]],
  ["POST", "/api/v1/namespaces/team-a/pods/web/exec", [true, true, true, false, false, false]],
  ["POST", "/api/v1/namespaces/team-a/pods/web/portforward", [true, true, true, false, false, false]],
  ["PUT", "/api/v1/namespaces/team-a/pods/web/status", [true, false, false, false, false, false]],
  ["GET", "/api/v1/namespaces/team-a/pods/web/status", [true, true, true, true, false, false]],
  ["GET", "/api/v1/namespaces/team-a/secrets", [true, true, true, false, false, false]],
  ["POST", "/api/v1/namespaces/team-a/secrets", [true, true, true, false, false, false]],
  ["GET", "/api/v1/namespaces/team-a/configmaps", [true, true, true, true, false, false]],
  ["PUT", "/api/v1/namespaces/team-a/endpoints/web", [true, false, false, false, false, false]],
  ["GET", "/apis/discovery.k8s.io/v1/namespaces/team-a/endpointslices", [true, true, true, true, false, false]],
  ["GET", "/apis/apps/v1/namespaces/team-a/deployments", [true, true, true, true, false, false]],
  ["PATCH", "/apis/apps/v1/namespaces/team-a/deployments/web", [true, true, true, false, false, false]],
  ["PATCH", "/apis/apps/v1/namespaces/team-a/deployments/web/scale", [true, true, true, false, false, false]],
  ["GET", "/apis/apps/v1/namespaces/team-a/deployments/web/scale", [true, true, true, true, false, false]],
  ["PUT", "/apis/apps/v1/namespaces/team-a/deployments/web/status", [true, false, false, false, false, false]],
  ["PUT", "/apis/apps/v1/namespaces/team-a/replicasets/web/scale", [true, true, true, false, false, false]],
  ["POST", "/apis/autoscaling/v2/namespaces/team-a/horizontalpodautoscalers", [true, true, true, false, false, false]],
  ["GET", "/apis/coordination.k8s.io/v1/namespaces/team-a/leases", [true, false, false, false, false, false]],
  ["POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings", [true, true, false, false, false, false]],
  ["GET", "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles", [true, true, false, false, false, false]],
  ["GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", [true, false, false, false, false, false]],
  ["GET", "/api/v1/namespaces/team-a", [true, true, true, true, false, false]],
  ["GET", "/api/v1/namespaces/team-b", [true, false, false, false, false, false]],
  ["GET", "/api/v1/namespaces", [true, false, false, false, false, false]],
  ["DELETE", "/api/v1/namespaces/team-a", [true, false, false, false, false, false]],
  ["GET", "/api/v1/nodes", [true, false, false, false, false, false]],
  ["POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", [true, true, true, true, true, false]],
  ["POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", [true, true, true, true, true, false]],
  ["GET", "/version", [true, true, true, true, true, true]],
  ["GET", "/healthz", [true, true, true, true, true, true]],
  ["GET", "/api", [true, true, true, true, true, false]],
  ["GET", "/apis/apps/v1", [true, true, true, true, true, false]],
  ["GET", "/openapi/v2", [true, true, true, true, true, false]],
  ["GET", "/metrics", [true, false, false, false, false, false]],
  ["POST", "/version", [true, false, false, false, false, false]],
];

describe("RBAC matrix", () => {
  const order: Who[] = ["root", "alice", "ed", "vic", "sa", "anon"];
  const cases = matrix.flatMap(([m, p, answers]) => order.map((who, i) => [who, m, p, answers[i]] as const));
  it.each(cases)("%s %s %s → %s", (who, method, path, allowed) => {
    expect(authorize(req(method, path), users[who], snapshot).allowed).toBe(allowed);
  });
});

describe("RBAC details", () => {
  it("explains an allow", () => {
    expect(authorize(req("GET", "/api/v1/pods"), users.root, snapshot).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
    );
    expect(authorize(req("GET", "/api/v1/namespaces/team-a/pods"), users.sa, snapshot).reason).toBe(
      'RBAC: allowed by RoleBinding "builder/team-a" of Role "pod-reader" to ServiceAccount "builder/team-a"',
    );
  });

  it("narrows by resourceNames", () => {
    const get = (name: string) => authorize(req("GET", `/api/v1/namespaces/team-a/configmaps/${name}`), users.sa, snapshot).allowed;
    expect(get("app-config")).toBe(true);
    expect(get("other")).toBe(false);
    expect(authorize(req("PUT", "/api/v1/namespaces/team-a/configmaps/app-config"), users.sa, snapshot).allowed).toBe(true);
    // A list names no object, so a name-restricted rule cannot grant it...
    expect(authorize(req("GET", "/api/v1/namespaces/team-a/configmaps"), users.sa, snapshot).allowed).toBe(false);
    // ...unless the list is narrowed to that name.
    expect(authorize(req("GET", "/api/v1/namespaces/team-a/configmaps?fieldSelector=metadata.name%3Dapp-config"), users.sa, snapshot).allowed).toBe(true);
  });

  it("matches subjects exactly", () => {
    const other = { name: "system:serviceaccount:team-b:builder", groups: ["system:serviceaccounts", "system:authenticated"] };
    expect(authorize(req("GET", "/api/v1/namespaces/team-a/pods"), other, snapshot).allowed).toBe(false);
    // A ClusterRoleBinding's ServiceAccount subject without a namespace matches nobody.
    const crb: RbacSnapshot = {
      ...snapshot,
      clusterRoleBindings: [{ metadata: { name: "x" }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "view" }, subjects: [{ kind: "ServiceAccount", name: "builder" }] }],
    };
    expect(authorize(req("GET", "/api/v1/namespaces/team-a/pods"), { ...users.sa, name: "system:serviceaccount:team-b:builder" }, crb).allowed).toBe(false);
    // A RoleBinding in another namespace grants nothing here.
    expect(authorize(req("GET", "/api/v1/namespaces/team-b/pods"), users.sa, snapshot).allowed).toBe(false);
  });

  it("does not grant non-resource URLs through a RoleBinding", () => {
    const s: RbacSnapshot = { ...snapshot, roleBindings: [rb("team-a", "root-ish", "ClusterRole", "cluster-admin", [{ kind: "User", name: "nobody" }])] };
    const nobody = { name: "nobody", groups: [] };
    expect(authorize(req("GET", "/metrics"), nobody, s).allowed).toBe(false);
    expect(authorize(req("DELETE", "/api/v1/namespaces/team-a/secrets/x"), nobody, s).allowed).toBe(true);
    expect(authorize(req("GET", "/api/v1/nodes"), nobody, s).allowed).toBe(false);
  });

  it.each([
    [["/healthz"], "/healthz", true],
    [["/healthz"], "/healthz/ping", false],
    [["/healthz/*"], "/healthz/ping", true],
    [["/healthz/*"], "/healthz", false],
    [["/logs*"], "/logs/kubelet", true],
    [["*"], "/anything", true],
  ])("nonResourceURLs %j vs %s", (urls, path, allowed) => {
    const s: RbacSnapshot = {
      roles: [],
      roleBindings: [],
      clusterRoles: [{ metadata: { name: "r" }, rules: [{ verbs: ["get"], nonResourceURLs: urls }] }],
      clusterRoleBindings: [{ metadata: { name: "b" }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "r" }, subjects: [{ kind: "User", name: "u" }] }],
    };
    expect(authorize(req("GET", path), { name: "u", groups: [] }, s).allowed).toBe(allowed);
  });

  it.each([
    [["*"], "pods", "log", true],
    [["*/log"], "pods", "log", true],
    [["*/log"], "pods", "", false],
    [["pods"], "pods", "log", false],
    [["pods/*"], "pods", "log", false],
    [["pods/log"], "pods", "log", true],
  ])("resources %j vs %s/%s", (resources, resource, sub, allowed) => {
    const s: RbacSnapshot = {
      roles: [],
      roleBindings: [],
      clusterRoles: [{ metadata: { name: "r" }, rules: [{ verbs: ["get"], apiGroups: [""], resources }] }],
      clusterRoleBindings: [{ metadata: { name: "b" }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "r" }, subjects: [{ kind: "User", name: "u" }] }],
    };
    const path = `/api/v1/namespaces/a/${resource}/x${sub ? `/${sub}` : ""}`;
    expect(authorize(req("GET", path), { name: "u", groups: [] }, s).allowed).toBe(allowed);
  });

  it("reports a missing role in the reason", () => {
    const s: RbacSnapshot = { ...snapshot, roleBindings: [rb("team-a", "dangling", "ClusterRole", "gone", [{ kind: "User", name: "alice" }])] };
    const d = authorize(req("GET", "/api/v1/namespaces/team-a/pods"), users.alice, s);
    expect(d).toEqual({ allowed: false, reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found' });
  });
});

describe("aggregation", () => {
  const roles = aggregateClusterRoles(defaultClusterRoles());
  const rulesOf = (name: string) => roles.find((r) => r.metadata.name === name)!.rules!;

  it("chains view into edit into admin", () => {
    const view = rulesOf("view");
    const edit = rulesOf("edit");
    const admin = rulesOf("admin");
    expect(view.length).toBeGreaterThan(0);
    for (const r of view) expect(edit).toContainEqual(r);
    for (const r of edit) expect(admin).toContainEqual(r);
    expect(view.some((r) => r.resources?.includes("secrets"))).toBe(false);
    expect(admin.some((r) => r.resources?.includes("rolebindings"))).toBe(true);
    expect(edit.some((r) => r.resources?.includes("rolebindings"))).toBe(false);
  });

  it("picks up a custom role by label, skips duplicates and does not modify its input", () => {
    const custom: ClusterRole = {
      metadata: { name: "widgets-view", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
      rules: [{ verbs: ["get"], apiGroups: ["example.com"], resources: ["widgets"] }],
    };
    const dup: ClusterRole = { metadata: { name: "zz-dup", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } }, rules: [structuredClone(custom.rules![0])] };
    const input = [...defaultClusterRoles(), custom, dup];
    const before = JSON.stringify(input);
    const out = aggregateClusterRoles(input);
    expect(JSON.stringify(input)).toBe(before);
    for (const name of ["view", "edit", "admin"]) {
      const rules = out.find((r) => r.metadata.name === name)!.rules!;
      expect(rules.filter((r) => r.apiGroups?.includes("example.com"))).toHaveLength(1);
    }
  });

  it("supports matchExpressions", () => {
    const out = aggregateClusterRoles([
      { metadata: { name: "agg" }, aggregationRule: { clusterRoleSelectors: [{ matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }] } },
      { metadata: { name: "r1", labels: { tier: "a" } }, rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }] },
      { metadata: { name: "r2", labels: { tier: "c" } }, rules: [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }] },
    ]);
    expect(out[0].rules).toEqual([{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }]);
  });
});

describe("forbidden messages", () => {
  const jane = { name: "jane", groups: [] };
  it.each([
    ["GET", "/api/v1/namespaces/a/pods/web", 'pods "web" is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "a"'],
    ["GET", "/api/v1/namespaces/a/pods", 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "a"'],
    ["GET", "/api/v1/namespaces/a/pods/web/log", 'pods "web" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "a"'],
    ["GET", "/apis/apps/v1/deployments", 'deployments.apps is forbidden: User "jane" cannot list resource "deployments" in API group "apps" at the cluster scope'],
    ["PATCH", "/apis/apps/v1/namespaces/a/deployments/web/scale", 'deployments.apps "web" is forbidden: User "jane" cannot patch resource "deployments/scale" in API group "apps" in the namespace "a"'],
    ["GET", "/api/v1/nodes/n1", 'nodes "n1" is forbidden: User "jane" cannot get resource "nodes" in API group "" at the cluster scope'],
    ["GET", "/metrics", 'forbidden: User "jane" cannot get path "/metrics"'],
  ])("%s %s", (method, path, want) => {
    expect(forbiddenMessage(req(method, path), jane)).toBe(want);
  });

  it("appends the reason and builds the Status details", () => {
    const e = forbiddenError(req("GET", "/api/v1/namespaces/a/secrets/s"), { name: "system:node:n1", groups: [] }, "no relationship found between node 'n1' and this object");
    expect(e.code).toBe(403);
    expect(e.message).toBe(
      `secrets "s" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "a": no relationship found between node 'n1' and this object`,
    );
    expect(e.details).toEqual({ name: "s", group: "", kind: "secrets" });
  });

  it("escapes markup in the user-controlled part", () => {
    expect(forbiddenMessage(req("GET", "/x<y>"), { name: "a&b", groups: [] })).toBe('forbidden: User "a&amp;b" cannot get path "/x&lt;y&gt;"');
  });
});

describe("rulesFor", () => {
  it("lists what the SA may do in its namespace", () => {
    const r = rulesFor(users.sa, "team-a", snapshot);
    expect(r.resourceRules).toContainEqual({ verbs: ["get", "list", "watch"], apiGroups: [""], resources: ["pods"] });
    expect(r.resourceRules).toContainEqual({ verbs: ["get", "list", "update"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["app-config"] });
    expect(r.resourceRules).toContainEqual({ verbs: ["create"], apiGroups: ["authorization.k8s.io"], resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"] });
    expect(r.nonResourceRules.some((n) => n.nonResourceURLs.includes("/version"))).toBe(true);
    expect(r.incomplete).toBe(false);
    expect(r.evaluationError).toBeUndefined();
  });

  it("has only cluster-wide grants in another namespace", () => {
    const r = rulesFor(users.sa, "team-b", snapshot);
    expect(r.resourceRules.some((x) => x.resources.includes("pods"))).toBe(false);
  });

  it("gives cluster-admin's wildcards to system:masters", () => {
    const r = rulesFor(users.root, "team-b", snapshot);
    expect(r.resourceRules).toContainEqual({ verbs: ["*"], apiGroups: ["*"], resources: ["*"] });
    expect(r.nonResourceRules).toContainEqual({ verbs: ["*"], nonResourceURLs: ["*"] });
  });
});

describe("default policy", () => {
  it("marks every object as a bootstrap default", () => {
    for (const o of [...defaultClusterRoles(), ...defaultClusterRoleBindings()]) {
      expect(o.metadata.labels).toMatchObject({ "kubernetes.io/bootstrapping": "rbac-defaults" });
      expect(o.metadata.annotations).toEqual({ "rbac.authorization.kubernetes.io/autoupdate": "true" });
    }
  });

  it("binds every role it references and grants nothing to nodes or bootstrappers beyond discovery", () => {
    const names = new Set(defaultClusterRoles().map((r) => r.metadata.name));
    for (const b of defaultClusterRoleBindings()) expect(names.has(b.roleRef.name)).toBe(true);
    const node = { name: "system:node:n1", groups: ["system:nodes", "system:authenticated"] };
    const joiner = { name: "system:bootstrap:abcdef", groups: ["system:bootstrappers", "system:authenticated"] };
    for (const who of [node, joiner]) {
      expect(authorize(req("GET", "/api/v1/nodes/n1"), who, snapshot).allowed).toBe(false);
      expect(authorize(req("GET", "/apis"), who, snapshot).allowed).toBe(true);
    }
  });
});
