/**
 * The bootstrap RBAC policy: the ClusterRoles and ClusterRoleBindings a new cluster starts with,
 * named and shaped as kube-apiserver's bootstrap policy, trimmed to the resources served here.
 * Objects are ready to store; admin/edit/view carry only an aggregationRule, and their rules are
 * filled in by `aggregateClusterRoles` (call it before storing, or let the aggregation
 * controller do it).
 */
import { RBAC_GROUP, type ClusterRole, type ClusterRoleBinding, type PolicyRule, type Subject } from "./rbac-types";

const READ = ["get", "list", "watch"];
const WRITE = ["create", "update", "patch", "delete", "deletecollection"];
const READ_WRITE = [...READ, ...WRITE];

const BOOTSTRAP_LABELS = { "kubernetes.io/bootstrapping": "rbac-defaults" };
const AUTOUPDATE = { "rbac.authorization.kubernetes.io/autoupdate": "true" };

export const AGGREGATE_TO_ADMIN = "rbac.authorization.k8s.io/aggregate-to-admin";
export const AGGREGATE_TO_EDIT = "rbac.authorization.k8s.io/aggregate-to-edit";
export const AGGREGATE_TO_VIEW = "rbac.authorization.k8s.io/aggregate-to-view";

function rule(verbs: string[], apiGroups: string[], resources: string[]): PolicyRule {
  return { verbs: [...verbs], apiGroups: [...apiGroups], resources: [...resources] };
}

function urls(verbs: string[], nonResourceURLs: string[]): PolicyRule {
  return { verbs: [...verbs], nonResourceURLs: [...nonResourceURLs] };
}

function clusterRole(name: string, rules: PolicyRule[] | undefined, extra: { labels?: Record<string, string>; aggregateFrom?: string } = {}): ClusterRole {
  const role: ClusterRole = {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRole",
    metadata: { name, labels: { ...BOOTSTRAP_LABELS, ...extra.labels }, annotations: { ...AUTOUPDATE } },
  };
  if (extra.aggregateFrom) {
    role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [extra.aggregateFrom]: "true" } }] };
    role.rules = [];
  } else role.rules = rules ?? [];
  return role;
}

function clusterRoleBinding(name: string, roleName: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: "ClusterRoleBinding",
    metadata: { name, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...AUTOUPDATE } },
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: roleName },
    subjects,
  };
}

const group = (name: string): Subject => ({ apiGroup: RBAC_GROUP, kind: "Group", name });

/** Rules of system:aggregate-to-view: read access to non-escalating namespaced resources (no secrets). */
function viewRules(): PolicyRule[] {
  return [
    rule(READ, [""], ["pods", "services", "services/status", "endpoints", "configmaps", "serviceaccounts", "persistentvolumeclaims", "replicationcontrollers"]),
    rule(READ, [""], ["events", "pods/status", "pods/log", "namespaces/status", "limitranges", "resourcequotas", "bindings"]),
    // Read access to namespaces at the namespace scope lets a user read *this* namespace.
    rule(READ, [""], ["namespaces"]),
    rule(READ, ["discovery.k8s.io"], ["endpointslices"]),
    rule(READ, ["apps"], ["deployments", "deployments/status", "deployments/scale", "replicasets", "replicasets/status", "replicasets/scale"]),
    rule(READ, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
  ];
}

/**
 * Rules of system:aggregate-to-edit: write access to user workloads, and read of the
 * "escalating" ones view leaves out. Endpoints and EndpointSlices stay read-only (upstream
 * removed them from edit to stop traffic hijacking); /status subresources stay with the system.
 */
function editRules(): PolicyRule[] {
  return [
    rule(READ, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
    rule(["impersonate"], [""], ["serviceaccounts"]),
    rule(WRITE, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
    rule(["create"], [""], ["pods/eviction"]),
    rule(WRITE, [""], ["configmaps", "secrets", "services", "services/proxy", "serviceaccounts", "persistentvolumeclaims", "replicationcontrollers"]),
    rule(["create"], [""], ["serviceaccounts/token"]),
    rule(WRITE, ["apps"], ["deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"]),
    rule(WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
  ];
}

/** Rules of system:aggregate-to-admin: edit plus managing RBAC inside the namespace. */
function adminRules(): PolicyRule[] {
  return [
    rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
    rule(READ_WRITE, [RBAC_GROUP], ["roles", "rolebindings"]),
  ];
}

/**
 * The default ClusterRoles. admin, edit and view come with empty rules and an aggregationRule;
 * edit is aggregated into admin and view into edit through their labels, as upstream.
 */
export function defaultClusterRoles(): ClusterRole[] {
  return [
    // The root role. Bound to system:masters below.
    clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])]),
    clusterRole("system:discovery", [urls(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"])]),
    clusterRole("system:public-info-viewer", [urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
    clusterRole("system:basic-user", [
      rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
      rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
    ]),
    clusterRole("admin", undefined, { aggregateFrom: AGGREGATE_TO_ADMIN }),
    clusterRole("edit", undefined, { aggregateFrom: AGGREGATE_TO_EDIT, labels: { [AGGREGATE_TO_ADMIN]: "true" } }),
    clusterRole("view", undefined, { aggregateFrom: AGGREGATE_TO_VIEW, labels: { [AGGREGATE_TO_EDIT]: "true" } }),
    clusterRole("system:aggregate-to-admin", adminRules(), { labels: { [AGGREGATE_TO_ADMIN]: "true" } }),
    clusterRole("system:aggregate-to-edit", editRules(), { labels: { [AGGREGATE_TO_EDIT]: "true" } }),
    clusterRole("system:aggregate-to-view", viewRules(), { labels: { [AGGREGATE_TO_VIEW]: "true" } }),
    // Kept empty on purpose: nodes are authorized by the Node authorizer (node-authorizer.ts),
    // which scopes them to their own objects; a rule here would bypass that scoping.
    clusterRole("system:node", []),
    // Joining nodes authenticate with a bootstrap token and may only trade it for a node
    // credential (upstream's role of this name grants CSR creation, the flow this replaces).
    clusterRole("system:node-bootstrapper", [rule(["create"], ["flotilla.dev"], ["nodecredentialrequests"])]),
  ];
}

/** The default ClusterRoleBindings. */
export function defaultClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    clusterRoleBinding("cluster-admin", "cluster-admin", [group("system:masters")]),
    clusterRoleBinding("system:discovery", "system:discovery", [group("system:authenticated")]),
    clusterRoleBinding("system:basic-user", "system:basic-user", [group("system:authenticated")]),
    clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", [group("system:authenticated"), group("system:unauthenticated")]),
    clusterRoleBinding("system:node-bootstrapper", "system:node-bootstrapper", [group("system:bootstrappers")]),
  ];
}
