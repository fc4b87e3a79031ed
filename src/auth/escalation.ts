/**
 * RBAC escalation prevention. Writing a Role or ClusterRole requires holding every permission
 * it grants (or the `escalate` verb on it); writing a RoleBinding or ClusterRoleBinding requires
 * holding every permission of the referenced role (or the `bind` verb on that role). Members of
 * system:masters are exempt, as upstream exempts them.
 */
import { StatusError, errors } from "../api/status";
import { authorize, roleRefRules, visitRulesFor } from "./rbac";
import type { Attributes, UserInfo } from "./request-attributes";
import { RBAC_GROUP, type PolicyRule, type RbacSnapshot, type RoleRef } from "./rbac-types";

const PRIVILEGED_GROUP = "system:masters";

export type EscalationResult = { ok: true } | { ok: false; missing: PolicyRule[]; message: string };

/** Splits a rule into one rule per (group, resource, verb[, name]) and per (url, verb). */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const g of rule.apiGroups ?? [])
    for (const r of rule.resources ?? [])
      for (const v of rule.verbs) {
        if (rule.resourceNames?.length) for (const n of rule.resourceNames) out.push({ apiGroups: [g], resources: [r], verbs: [v], resourceNames: [n] });
        else out.push({ apiGroups: [g], resources: [r], verbs: [v] });
      }
  for (const u of rule.nonResourceURLs ?? []) for (const v of rule.verbs) out.push({ nonResourceURLs: [u], verbs: [v] });
  return out;
}

const hasAll = (have: readonly string[] | undefined, want: readonly string[] | undefined) => (want ?? []).every((w) => (have ?? []).includes(w));

function resourcesCovered(owner: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((r) => {
    if (owner.includes(r) || owner.includes("*")) return true;
    const slash = r.indexOf("/");
    return slash >= 0 && owner.includes(`*/${r.slice(slash + 1)}`);
  });
}

function urlsCovered(owner: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((u) => owner.some((o) => o === u || o === "*" || (o.endsWith("*") && u.startsWith(o.slice(0, -1)))));
}

/** Does `owner` grant everything the (broken-down) `sub` rule does? Wildcards in `sub` are literal. */
export function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = owner.verbs.includes("*") || hasAll(owner.verbs, sub.verbs);
  const groups = (owner.apiGroups ?? []).includes("*") || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourcesCovered(owner.resources ?? [], sub.resources ?? []);
  const urls = urlsCovered(owner.nonResourceURLs ?? [], sub.nonResourceURLs ?? []);
  const ownerNames = owner.resourceNames ?? [];
  const names = sub.resourceNames?.length ? ownerNames.length === 0 || hasAll(ownerNames, sub.resourceNames) : ownerNames.length === 0;
  return verbs && groups && resources && urls && names;
}

/** The parts of `wanted` that no rule in `owned` covers. */
export function uncoveredRules(owned: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of wanted) for (const sub of breakdownRule(rule)) if (!owned.some((o) => ruleCovers(o, sub))) missing.push(sub);
  return missing;
}

/** Merges single-group, single-resource rules (at most one name) that differ only in verbs. */
export function compactRules(rules: readonly PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const r of rules) {
    const isSimple = !r.nonResourceURLs?.length && (r.resourceNames?.length ?? 0) <= 1 && r.apiGroups?.length === 1 && r.resources?.length === 1;
    if (!isSimple) {
      out.push(structuredClone(r));
      continue;
    }
    const key = JSON.stringify([r.apiGroups![0], r.resources![0], r.resourceNames?.[0] ?? null]);
    const seen = simple.get(key);
    if (seen) seen.verbs.push(...r.verbs);
    else simple.set(key, structuredClone(r));
  }
  return [...out, ...simple.values()];
}

const goQuoteList = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(" ")}]`;

/** A rule as upstream prints it in errors: `{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}`. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(", ")}}`;
}

/**
 * Does `user` already hold every rule in `rules`, in `namespace` ("" or undefined = cluster-wide
 * grants only)? No exemptions here; see `authorizeRoleWrite`/`authorizeBindingWrite`.
 *
 * @example checkEscalation(user, [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }], "a", rbac)
 */
export function checkEscalation(user: UserInfo, rules: readonly PolicyRule[], namespace: string | undefined, rbac: RbacSnapshot): EscalationResult {
  const owned: PolicyRule[] = [];
  const failures: string[] = [];
  visitRulesFor(user, namespace ?? "", rbac, (_s, rule, err) => {
    if (rule) owned.push(rule);
    if (err) failures.push(err.message);
    return true;
  });
  const missing = uncoveredRules(owned, rules);
  if (missing.length === 0) return { ok: true };
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let message = `user ${JSON.stringify(user.name)} (groups=${goQuoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join("\n")}`;
  if (failures.length) message += `; resolution errors: [${failures.join(" ")}]`;
  return { ok: false, missing, message };
}

function privileged(user: UserInfo): boolean {
  return user.groups.includes(PRIVILEGED_GROUP);
}

function verbAllowed(user: UserInfo, verb: string, resource: string, namespace: string, name: string, rbac: RbacSnapshot): boolean {
  const attrs: Attributes = { user, verb, apiGroup: RBAC_GROUP, apiVersion: "*", resource, subresource: "", namespace, name, resourceRequest: true, path: "" };
  return authorize(attrs, user, rbac).allowed;
}

export interface RoleWrite {
  kind: "Role" | "ClusterRole";
  /** The role's namespace (Roles only). */
  namespace?: string;
  name: string;
  rules: readonly PolicyRule[];
  /** ClusterRoles only: setting one needs full authority, since it can gather anything. */
  hasAggregationRule?: boolean;
  /** "create" requests carry no name, so `escalate` rules limited by resourceNames apply only to updates. */
  operation: "create" | "update";
}

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
  { verbs: ["*"], nonResourceURLs: ["*"] },
];

/**
 * May `user` store this Role/ClusterRole? Returns a 403 StatusError when not.
 * @example const err = authorizeRoleWrite(user, { kind: "Role", namespace: "a", name: "r", rules, operation: "create" }, rbac); if (err) throw err;
 */
export function authorizeRoleWrite(user: UserInfo, role: RoleWrite, rbac: RbacSnapshot): StatusError | undefined {
  if (privileged(user)) return undefined;
  const resource = role.kind === "Role" ? "roles" : "clusterroles";
  const namespace = role.kind === "Role" ? (role.namespace ?? "") : "";
  if (verbAllowed(user, "escalate", resource, namespace, role.operation === "update" ? role.name : "", rbac)) return undefined;
  const forbid = (msg: string) => errors.forbidden(`${resource}.${RBAC_GROUP} ${JSON.stringify(role.name)} is forbidden: ${msg}`, { name: role.name, group: RBAC_GROUP, kind: resource });
  const result = checkEscalation(user, role.rules, namespace, rbac);
  if (!result.ok) return forbid(result.message);
  if (role.kind === "ClusterRole" && role.hasAggregationRule && !checkEscalation(user, FULL_AUTHORITY, "", rbac).ok) {
    return forbid("must have cluster-admin privileges to use the aggregationRule");
  }
  return undefined;
}

export interface BindingWrite {
  kind: "RoleBinding" | "ClusterRoleBinding";
  /** The binding's namespace (RoleBindings only). */
  namespace?: string;
  name: string;
  roleRef: RoleRef;
}

/**
 * May `user` store this RoleBinding/ClusterRoleBinding? Allowed with `bind` on the referenced
 * role (checked in the binding's namespace, named by the role), or when the user already holds
 * all of the role's rules there. Returns a 403 StatusError when not.
 */
export function authorizeBindingWrite(user: UserInfo, binding: BindingWrite, rbac: RbacSnapshot): StatusError | undefined {
  if (privileged(user)) return undefined;
  const namespace = binding.kind === "RoleBinding" ? (binding.namespace ?? "") : "";
  const roleResource = binding.roleRef.kind === "Role" ? "roles" : binding.roleRef.kind === "ClusterRole" ? "clusterroles" : "";
  if (roleResource && binding.roleRef.apiGroup === RBAC_GROUP && verbAllowed(user, "bind", roleResource, namespace, binding.roleRef.name, rbac)) return undefined;
  const resource = binding.kind === "RoleBinding" ? "rolebindings" : "clusterrolebindings";
  const forbid = (msg: string) => errors.forbidden(`${resource}.${RBAC_GROUP} ${JSON.stringify(binding.name)} is forbidden: ${msg}`, { name: binding.name, group: RBAC_GROUP, kind: resource });
  let rules: PolicyRule[];
  try {
    rules = roleRefRules(binding.roleRef, namespace, rbac);
  } catch (e) {
    return forbid((e as Error).message);
  }
  const result = checkEscalation(user, rules, namespace, rbac);
  return result.ok ? undefined : forbid(result.message);
}
