import { aggregateClusterRoles } from "../../auth/aggregation";
import type { ClusterRole } from "../../auth/rbac-types";
import { findResource } from "../../resources/registry";
import type { Controller } from "../controller";
import type { ClusterView } from "../view";

export const CLUSTER_ROLE_AGGREGATION = "clusterrole-aggregation";
const ONLY_KEY = "all";

/** Fills the rules of ClusterRoles that have an aggregationRule from the roles their selectors match. */
export function clusterRoleAggregationController(view: ClusterView): Controller {
  const crType = findResource("rbac.authorization.k8s.io", "v1", "clusterroles")!;
  return {
    name: CLUSTER_ROLE_AGGREGATION,
    keysFor: (change) => (change.rt === crType ? [ONLY_KEY] : []),
    reconcile() {
      const roles = view.list(crType, undefined) as ClusterRole[];
      const aggregated = aggregateClusterRoles(roles);
      for (const role of aggregated) {
        if (!(role as { aggregationRule?: unknown }).aggregationRule) continue;
        const stored = roles.find((r) => r.metadata?.name === role.metadata?.name);
        if (!stored || JSON.stringify(stored.rules ?? []) === JSON.stringify(role.rules ?? [])) continue;
        view.update(crType, { ...stored, rules: role.rules });
      }
    },
  };
}
