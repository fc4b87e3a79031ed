/**
 * ReplicaSets (apps/v1): the shared workload rules and a default of one replica.
 */
import type { StatusCause } from "../../api/status";
import type { KindBehaviour } from "./behaviour";
import { defaultPodTemplate } from "./pod-spec-defaults";
import { ensureObj, setDefault, type Obj } from "./shape";
import { validateSelectorUnchanged, validateWorkloadSpec } from "./workload";

/** Fills a ReplicaSet's defaults in place. */
export function defaultReplicaSet(rs: Obj): void {
  const spec = ensureObj(rs, "spec");
  setDefault(spec, "replicas", 1);
  defaultPodTemplate(ensureObj(spec, "template"));
}

/** Validates a ReplicaSet create or update. */
export function validateReplicaSet(rs: Obj, old?: Obj): StatusCause[] {
  const out = validateWorkloadSpec(rs);
  if (old) out.push(...validateSelectorUnchanged(rs, old));
  return out;
}

/** ReplicaSet behaviour. */
export const replicaSet: KindBehaviour = { defaults: defaultReplicaSet, validate: validateReplicaSet };
