/**
 * Roles and ClusterRoles (rbac.authorization.k8s.io/v1): every rule needs verbs, and either
 * resources with API groups or (cluster-wide only) non-resource URLs, never both.
 */
import type { StatusCause } from "../../api/status";
import { isValidPathSegmentName } from "../../lib/names";
import { goStringSlice, GoValue, invalid, required } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { validateLabelSelector } from "./label-selector";
import type { NameRule } from "./metadata";
import { arr, obj, objs, type Obj } from "./shape";

/** RBAC object names only have to be one URL path segment (so "system:viewer" is fine). */
export const rbacName: NameRule = (name, prefix) => isValidPathSegmentName(name, prefix);

/** Validates one policy rule at `field`. */
export function validatePolicyRule(rule: Obj, namespaced: boolean, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (arr(rule.verbs).length === 0) out.push(required(`${field}.verbs`, "verbs must contain at least one value"));
  const urls = arr(rule.nonResourceURLs);
  if (urls.length > 0) {
    const bad = new GoValue(goStringSlice(urls));
    if (namespaced) out.push(invalid(`${field}.nonResourceURLs`, bad, "namespaced rules cannot apply to non-resource URLs"));
    if (arr(rule.apiGroups).length || arr(rule.resources).length || arr(rule.resourceNames).length)
      out.push(invalid(`${field}.nonResourceURLs`, bad, "rules cannot apply to both regular resources and non-resource URLs"));
    return out;
  }
  if (arr(rule.apiGroups).length === 0) out.push(required(`${field}.apiGroups`, "resource rules must supply at least one api group"));
  if (arr(rule.resources).length === 0) out.push(required(`${field}.resources`, "resource rules must supply at least one resource"));
  return out;
}

function validateRules(o: Obj, namespaced: boolean): StatusCause[] {
  return objs(o.rules).flatMap((r, i) => validatePolicyRule(r, namespaced, `rules[${i}]`));
}

/** Validates a ClusterRole, including its aggregation selectors. */
export function validateClusterRole(cr: Obj): StatusCause[] {
  const out = validateRules(cr, false);
  const agg = obj(cr.aggregationRule);
  if (agg) {
    const selectors = objs(agg.clusterRoleSelectors);
    if (selectors.length === 0) out.push(required("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil"));
    selectors.forEach((s, i) => out.push(...validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`)));
  }
  return out;
}

/** Role behaviour. */
export const role: KindBehaviour = { validate: (o) => validateRules(o, true) };
/** ClusterRole behaviour. */
export const clusterRole: KindBehaviour = { validate: validateClusterRole };
