import { describe, expect, it } from "vitest";
import { defaultClusterRoleBindings, defaultClusterRoles } from "../../src/auth/default-policy";
import { authorizeBindingWrite, authorizeRoleWrite, checkEscalation, compactString } from "../../src/auth/escalation";
import { aggregateClusterRoles, type RbacSnapshot } from "../../src/auth/rbac";
import type { PolicyRule } from "../../src/auth/rbac-types";

const RBAC = "rbac.authorization.k8s.io";
const snapshot: RbacSnapshot = {
  clusterRoles: [
    ...aggregateClusterRoles(defaultClusterRoles()),
    { metadata: { name: "role-granter" }, rules: [{ verbs: ["bind"], apiGroups: [RBAC], resources: ["clusterroles"], resourceNames: ["view"] }] },
    { metadata: { name: "role-escalator" }, rules: [{ verbs: ["escalate", "create", "update"], apiGroups: [RBAC], resources: ["roles"] }] },
  ],
  clusterRoleBindings: [...defaultClusterRoleBindings()],
  roles: [{ metadata: { name: "secret-reader", namespace: "a" }, rules: [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }] }],
  roleBindings: [
    { metadata: { name: "alice-admin", namespace: "a" }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "admin" }, subjects: [{ kind: "User", name: "alice" }] },
    { metadata: { name: "vic-view", namespace: "a" }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "view" }, subjects: [{ kind: "User", name: "vic" }] },
    { metadata: { name: "granter", namespace: "a" }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "role-granter" }, subjects: [{ kind: "User", name: "gina" }] },
    { metadata: { name: "escalator", namespace: "a" }, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "role-escalator" }, subjects: [{ kind: "User", name: "eve" }] },
  ],
};
const user = (name: string, groups: string[] = ["system:authenticated"]) => ({ name, groups });

describe("checkEscalation", () => {
  it.each<[string, PolicyRule[], string | undefined, boolean]>([
    ["alice", [{ verbs: ["get", "list"], apiGroups: [""], resources: ["pods", "secrets"] }], "a", true],
    ["alice", [{ verbs: ["create"], apiGroups: ["apps"], resources: ["deployments/scale"] }], "a", true],
    ["alice", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] }], "a", true],
    ["alice", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], "b", false],
    ["alice", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], undefined, false],
    ["alice", [{ verbs: ["get"], apiGroups: [""], resources: ["nodes"] }], "a", false],
    ["alice", [{ verbs: ["*"], apiGroups: [""], resources: ["pods"] }], "a", false],
    ["alice", [{ verbs: ["get"], apiGroups: ["*"], resources: ["pods"] }], "a", false],
    ["vic", [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }], "a", true],
    ["vic", [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }], "a", false],
    ["vic", [{ verbs: ["get"], nonResourceURLs: ["/version"] }], undefined, true],
    ["vic", [{ verbs: ["get"], nonResourceURLs: ["/metrics"] }], undefined, false],
    ["vic", [{ verbs: ["get"], nonResourceURLs: ["/apis/apps"] }], undefined, true],
    ["root", [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }], undefined, true],
  ])("%s holds %j in %s → %s", (who, rules, ns, ok) => {
    const groups = who === "root" ? ["system:masters"] : ["system:authenticated"];
    expect(checkEscalation(user(who, groups), rules, ns, snapshot).ok).toBe(ok);
  });

  it("phrases the missing rules as upstream", () => {
    const r = checkEscalation(user("vic"), [{ verbs: ["get", "list"], apiGroups: [""], resources: ["secrets", "pods"] }, { verbs: ["delete"], apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["web"] }], "a", snapshot);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toBe(
      'user "vic" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
        '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}\n' +
        '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["delete"]}',
    );
    expect(r.missing).toHaveLength(3);
  });

  it("prints rules compactly", () => {
    expect(compactString({ verbs: ["get"], nonResourceURLs: ["/x"] })).toBe('{NonResourceURLs:["/x"], Verbs:["get"]}');
  });
});

describe("authorizeRoleWrite", () => {
  const secretsRole = { kind: "Role" as const, namespace: "a", name: "r", rules: [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }], operation: "create" as const };

  it("lets a namespace admin create a role within their rights", () => {
    expect(authorizeRoleWrite(user("alice"), secretsRole, snapshot)).toBeUndefined();
  });

  it("refuses a viewer granting secrets", () => {
    const e = authorizeRoleWrite(user("vic"), secretsRole, snapshot);
    expect(e?.code).toBe(403);
    expect(e?.message).toBe(
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "vic" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
    );
  });

  it("allows with the escalate verb, and for system:masters", () => {
    expect(authorizeRoleWrite(user("eve"), { ...secretsRole, rules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }] }, snapshot)).toBeUndefined();
    expect(authorizeRoleWrite(user("eve"), { ...secretsRole, namespace: "b" }, snapshot)).toBeDefined();
    expect(authorizeRoleWrite(user("root", ["system:masters"]), { ...secretsRole, kind: "ClusterRole", namespace: undefined }, snapshot)).toBeUndefined();
  });

  it("requires full authority for an aggregationRule", () => {
    const e = authorizeRoleWrite(user("alice"), { kind: "ClusterRole", name: "agg", rules: [], hasAggregationRule: true, operation: "create" }, snapshot);
    expect(e?.message).toBe('clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule');
  });
});

describe("authorizeBindingWrite", () => {
  const bindView = { kind: "RoleBinding" as const, namespace: "a", name: "b", roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "view" } };

  it("lets an admin bind roles they hold", () => {
    expect(authorizeBindingWrite(user("alice"), bindView, snapshot)).toBeUndefined();
    expect(authorizeBindingWrite(user("alice"), { ...bindView, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "admin" } }, snapshot)).toBeUndefined();
    expect(authorizeBindingWrite(user("alice"), { ...bindView, roleRef: { apiGroup: RBAC, kind: "Role", name: "secret-reader" } }, snapshot)).toBeUndefined();
  });

  it("refuses binding cluster-admin, or anything cluster-wide, to a namespace admin", () => {
    const e = authorizeBindingWrite(user("alice"), { ...bindView, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "cluster-admin" } }, snapshot);
    expect(e?.message).toMatch(/^rolebindings\.rbac\.authorization\.k8s\.io "b" is forbidden: user "alice" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n/);
    expect(e?.message).toContain('{APIGroups:["*"], Resources:["*"], Verbs:["*"]}');
    expect(e?.message).toContain('{NonResourceURLs:["*"], Verbs:["*"]}');
    expect(authorizeBindingWrite(user("alice"), { kind: "ClusterRoleBinding", name: "c", roleRef: bindView.roleRef }, snapshot)).toBeDefined();
  });

  it("allows with the bind verb on that very role", () => {
    expect(authorizeBindingWrite(user("gina"), bindView, snapshot)).toBeUndefined();
    expect(authorizeBindingWrite(user("gina"), { ...bindView, roleRef: { apiGroup: RBAC, kind: "ClusterRole", name: "edit" } }, snapshot)).toBeDefined();
    expect(authorizeBindingWrite(user("gina"), { ...bindView, namespace: "b" }, snapshot)).toBeDefined();
  });

  it("reports a missing role", () => {
    const e = authorizeBindingWrite(user("alice"), { ...bindView, roleRef: { apiGroup: RBAC, kind: "Role", name: "nope" } }, snapshot);
    expect(e?.message).toBe('rolebindings.rbac.authorization.k8s.io "b" is forbidden: role.rbac.authorization.k8s.io "nope" not found');
  });
});
