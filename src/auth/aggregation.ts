/**
 * ClusterRole aggregation, as the clusterrole-aggregation controller does it: a ClusterRole with
 * `aggregationRule.clusterRoleSelectors` gets, as its rules, the union of the rules of every other
 * ClusterRole whose labels match one of the selectors (roles visited in name order, duplicate
 * rules dropped). Aggregated roles may themselves be aggregated into others (view → edit →
 * admin), so the pass repeats until nothing changes.
 */
import { labelSelectorFromObject, type LabelSelector } from "../lib/selectors";
import type { ClusterRole, PolicyRule } from "./rbac-types";

function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const eq = (x: string[] | undefined, y: string[] | undefined) => JSON.stringify(x ?? []) === JSON.stringify(y ?? []);
  return eq(a.verbs, b.verbs) && eq(a.apiGroups, b.apiGroups) && eq(a.resources, b.resources) && eq(a.resourceNames, b.resourceNames) && eq(a.nonResourceURLs, b.nonResourceURLs);
}

function selectorsOf(role: ClusterRole): LabelSelector[] {
  const out: LabelSelector[] = [];
  for (const sel of role.aggregationRule?.clusterRoleSelectors ?? []) {
    try {
      out.push(labelSelectorFromObject(sel));
    } catch {
      // An invalid selector selects nothing, as the controller skips it.
    }
  }
  return out;
}

/**
 * Returns copies of `clusterRoles` with every aggregated role's `rules` filled in; other roles
 * are returned unchanged. The input is not modified.
 *
 * @example aggregateClusterRoles(defaultClusterRoles()).find((r) => r.metadata.name === "view")!.rules
 */
export function aggregateClusterRoles(clusterRoles: readonly ClusterRole[]): ClusterRole[] {
  const roles = clusterRoles.map((r) => structuredClone(r));
  const byName = [...roles].sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : (a.metadata.name ?? "") > (b.metadata.name ?? "") ? 1 : 0));
  const aggregated = roles.filter((r) => r.aggregationRule);
  // Each pass can only lengthen a chain by one link, so the number of roles bounds the passes.
  for (let pass = 0; pass <= aggregated.length; pass++) {
    let changed = false;
    for (const target of aggregated) {
      const rules: PolicyRule[] = [];
      for (const selector of selectorsOf(target)) {
        for (const source of byName) {
          if (source === target || !selector.matches(source.metadata.labels ?? {})) continue;
          for (const rule of source.rules ?? []) if (!rules.some((r) => sameRule(r, rule))) rules.push(structuredClone(rule));
        }
      }
      const before = target.rules ?? [];
      if (before.length !== rules.length || before.some((r, i) => !sameRule(r, rules[i]))) {
        target.rules = rules;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return roles;
}
