/**
 * The RBAC authorizer: walks the ClusterRoleBindings (granting everywhere) and the RoleBindings
 * of the request's namespace (granting there), and allows the request when any rule of a role
 * bound to the user matches. Purely additive: nothing denies.
 *
 * Note on system:masters: there is no special case here. The bootstrap policy binds the group
 * to cluster-admin (see default-policy.ts), which is how members get everything. (Upstream also
 * keeps a privileged-group authorizer in front of RBAC so a deleted binding cannot lock the
 * cluster out; the escalation check in escalation.ts keeps that exemption for role writes.)
 */
import { StatusError, errors, qualifiedResource } from "../api/status";
import type { Attributes, UserInfo } from "./request-attributes";
import { RBAC_GROUP, type PolicyRule, type RbacSnapshot, type RoleBinding, type RoleRef, type Subject } from "./rbac-types";
import { ruleAllows } from "./rule-match";

export type { PolicyRule, RbacSnapshot } from "./rbac-types";
export { aggregateClusterRoles } from "./aggregation";

export interface Decision {
  allowed: boolean;
  /** Why it was allowed, or (when denied) the rule-resolution errors met on the way; may be "". */
  reason: string;
}

const SA_PREFIX = "system:serviceaccount:";

/** Does a binding subject name this user? `namespace` is the binding's ("" for a ClusterRoleBinding). */
export function appliesTo(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return user.name === subject.name;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount": {
      // A RoleBinding's ServiceAccount subject defaults to the binding's namespace; in a
      // ClusterRoleBinding it must name one, or it matches nobody.
      const ns = subject.namespace || namespace;
      return ns !== "" && user.name === `${SA_PREFIX}${ns}:${subject.name}`;
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === "ServiceAccount") return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** Where a rule came from, in upstream's words: `ClusterRoleBinding "b" of ClusterRole "r" to Group "g"`. */
function describeSource(binding: RoleBinding, subject: Subject, namespace: string): string {
  const name = namespace ? `${binding.metadata.name}/${namespace}` : `${binding.metadata.name}`;
  const kind = namespace ? "RoleBinding" : "ClusterRoleBinding";
  return `${kind} ${JSON.stringify(name)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, namespace)}`;
}

/** The rules a roleRef points at; throws the lister's NotFound text when the role is missing. */
export function roleRefRules(ref: RoleRef, namespace: string, rbac: RbacSnapshot): PolicyRule[] {
  if (ref.kind === "ClusterRole") {
    const role = rbac.clusterRoles.find((r) => r.metadata.name === ref.name);
    if (!role) throw new Error(`clusterrole.${RBAC_GROUP} ${JSON.stringify(ref.name)} not found`);
    return role.rules ?? [];
  }
  if (ref.kind === "Role" && namespace !== "") {
    const role = rbac.roles.find((r) => r.metadata.name === ref.name && r.metadata.namespace === namespace);
    if (!role) throw new Error(`role.${RBAC_GROUP} ${JSON.stringify(ref.name)} not found`);
    return role.rules ?? [];
  }
  throw new Error(`unsupported role reference kind: ${JSON.stringify(ref.kind)}`);
}

type Visitor = (source: string, rule: PolicyRule | undefined, err: Error | undefined) => boolean;

/**
 * Calls `visit` for every rule granted to `user` in `namespace` ("" = cluster scope only),
 * ClusterRoleBindings first. Stops when `visit` returns false.
 */
export function visitRulesFor(user: UserInfo, namespace: string, rbac: RbacSnapshot, visit: Visitor): void {
  const walk = (bindings: readonly RoleBinding[], ns: string): boolean => {
    for (const binding of bindings) {
      if (ns !== "" && binding.metadata.namespace !== ns) continue;
      const subject = (binding.subjects ?? []).find((s) => appliesTo(user, s, ns));
      if (!subject) continue;
      if (ns === "" && binding.roleRef.kind !== "ClusterRole") continue;
      let rules: PolicyRule[];
      try {
        rules = roleRefRules(binding.roleRef, ns, rbac);
      } catch (e) {
        if (!visit("", undefined, e as Error)) return false;
        continue;
      }
      const source = describeSource(binding, subject, ns);
      for (const rule of rules) if (!visit(source, rule, undefined)) return false;
    }
    return true;
  };
  if (!walk(rbac.clusterRoleBindings, "")) return;
  if (namespace !== "") walk(rbac.roleBindings, namespace);
}

/**
 * @example authorize(attributesOf("GET", new URL("https://x/api/v1/namespaces/a/pods")), { name: "jane", groups: [] }, snapshot)
 * // { allowed: true, reason: 'RBAC: allowed by RoleBinding "jane-view/a" of ClusterRole "view" to User "jane"' }
 */
export function authorize(attrs: Attributes, user: UserInfo, rbac: RbacSnapshot): Decision {
  let reason = "";
  const failures: string[] = [];
  visitRulesFor(user, attrs.namespace, rbac, (source, rule, err) => {
    if (err) failures.push(err.message);
    if (rule && ruleAllows(attrs, rule)) {
      reason = `RBAC: allowed by ${source}`;
      return false;
    }
    return true;
  });
  if (reason) return { allowed: true, reason };
  if (failures.length === 0) return { allowed: false, reason: "" };
  return { allowed: false, reason: `RBAC: ${failures.length === 1 ? failures[0] : `[${failures.join(", ")}]`}` };
}

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface RulesReview {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  incomplete: boolean;
  evaluationError?: string;
}

/**
 * The status of a SelfSubjectRulesReview: every rule the user holds in `namespace` (cluster-wide
 * grants included), as RBAC lists them. Role resolution failures become `evaluationError`.
 */
export function rulesFor(user: UserInfo, namespace: string, rbac: RbacSnapshot): RulesReview {
  const review: RulesReview = { resourceRules: [], nonResourceRules: [], incomplete: false };
  const failures: string[] = [];
  visitRulesFor(user, namespace, rbac, (_source, rule, err) => {
    if (err) failures.push(err.message);
    if (!rule) return true;
    if (rule.resources?.length) {
      const r: ResourceRule = { verbs: [...rule.verbs], apiGroups: [...(rule.apiGroups ?? [])], resources: [...rule.resources] };
      if (rule.resourceNames?.length) r.resourceNames = [...rule.resourceNames];
      review.resourceRules.push(r);
    }
    if (rule.nonResourceURLs?.length) review.nonResourceRules.push({ verbs: [...rule.verbs], nonResourceURLs: [...rule.nonResourceURLs] });
    return true;
  });
  if (failures.length) review.evaluationError = failures.length === 1 ? failures[0] : `[${failures.join(", ")}]`;
  return review;
}

const sanitize = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * The text of a 403, as the API server writes it:
 *   `pods "web" is forbidden: User "jane" cannot get resource "pods" in API group "" in the namespace "a"`
 *   `deployments.apps is forbidden: User "jane" cannot list resource "deployments" in API group "apps" at the cluster scope`
 *   `forbidden: User "jane" cannot get path "/metrics"`
 * A non-empty `reason` (an authorizer's explanation) is appended after ": ".
 */
export function forbiddenMessage(attrs: Attributes, user: UserInfo | undefined, reason = ""): string {
  const who = JSON.stringify(user?.name ?? "");
  let inner: string;
  if (!attrs.resourceRequest) {
    inner = `User ${who} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  } else {
    const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const scope = attrs.namespace ? `in the namespace ${JSON.stringify(attrs.namespace)}` : "at the cluster scope";
    inner = `User ${who} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)} ${scope}`;
  }
  const err = reason ? `${sanitize(inner)}: ${reason}` : sanitize(inner);
  if (!attrs.resourceRequest || (attrs.resource === "" && attrs.apiGroup === "")) return `forbidden: ${err}`;
  const qr = qualifiedResource(attrs.resource, attrs.apiGroup);
  return attrs.name ? `${qr} ${JSON.stringify(attrs.name)} is forbidden: ${err}` : `${qr} is forbidden: ${err}`;
}

/**
 * The 403 StatusError for a denied request, with upstream's details (group, kind = resource, name).
 * @example throw forbiddenError(attrs, user, decision.reason)
 */
export function forbiddenError(attrs: Attributes, user: UserInfo | undefined, reason = ""): StatusError {
  const message = forbiddenMessage(attrs, user, reason);
  if (!attrs.resourceRequest) return errors.forbidden(message, {});
  const details: { name?: string; group: string; kind: string } = { group: attrs.apiGroup, kind: attrs.resource };
  if (attrs.name) details.name = attrs.name;
  return errors.forbidden(message, details);
}
