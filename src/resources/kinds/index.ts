/**
 * Defaulting and semantic validation for every served kind, run on each create and update
 * after decoding and before storage: metadata rules, the kind's defaults, then its checks.
 */
import { errors, type StatusCause } from "../../api/status";
import type { ResourceType } from "../registry";
import type { KindBehaviour } from "./behaviour";
import { configMap } from "./config-map";
import { deployment } from "./deployment";
import { endpointSlice } from "./endpoint-slice";
import { endpoints } from "./endpoints";
import { coreEvent, coreEventName, eventsV1Event } from "./event";
import { horizontalPodAutoscaler } from "./horizontal-pod-autoscaler";
import { lease } from "./lease";
import { labelName, subdomainName, validateObjectMeta, validateObjectMetaUpdate, type NameRule } from "./metadata";
import { namespace } from "./namespace";
import { node } from "./node";
import { pod } from "./pod";
import { replicaSet } from "./replica-set";
import { clusterRole, rbacName, role } from "./role";
import { clusterRoleBinding, roleBinding } from "./role-binding";
import { secret } from "./secret";
import { service, serviceName } from "./service";
import { str, obj } from "./shape";

export type { KindBehaviour } from "./behaviour";

interface KindEntry {
  readonly behaviour: KindBehaviour;
  readonly name: NameRule;
}

const NONE: KindBehaviour = {};

/** Keyed by "group/Kind" (group "" for core). */
const KINDS: Record<string, KindEntry> = {
  "/Namespace": { behaviour: namespace, name: labelName },
  "/Pod": { behaviour: pod, name: subdomainName },
  "/Service": { behaviour: service, name: serviceName },
  "/Node": { behaviour: node, name: subdomainName },
  "/Event": { behaviour: coreEvent, name: coreEventName },
  "/ConfigMap": { behaviour: configMap, name: subdomainName },
  "/Secret": { behaviour: secret, name: subdomainName },
  "/ServiceAccount": { behaviour: NONE, name: subdomainName },
  "/Endpoints": { behaviour: endpoints, name: subdomainName },
  "apps/Deployment": { behaviour: deployment, name: subdomainName },
  "apps/ReplicaSet": { behaviour: replicaSet, name: subdomainName },
  "discovery.k8s.io/EndpointSlice": { behaviour: endpointSlice, name: subdomainName },
  "coordination.k8s.io/Lease": { behaviour: lease, name: subdomainName },
  "autoscaling/HorizontalPodAutoscaler": { behaviour: horizontalPodAutoscaler, name: subdomainName },
  "rbac.authorization.k8s.io/Role": { behaviour: role, name: rbacName },
  "rbac.authorization.k8s.io/RoleBinding": { behaviour: roleBinding, name: rbacName },
  "rbac.authorization.k8s.io/ClusterRole": { behaviour: clusterRole, name: rbacName },
  "rbac.authorization.k8s.io/ClusterRoleBinding": { behaviour: clusterRoleBinding, name: rbacName },
  "events.k8s.io/Event": { behaviour: eventsV1Event, name: subdomainName },
};

function entryOf(rt: ResourceType): KindEntry {
  return KINDS[`${rt.group}/${rt.kind}`] ?? { behaviour: NONE, name: subdomainName };
}

/**
 * The defaulting and validation hooks of a served kind (empty for kinds with none).
 * @example behaviourOf(findKind("apps/v1", "Deployment")!).defaults?.(obj)
 */
export function behaviourOf(rt: ResourceType): KindBehaviour {
  return entryOf(rt).behaviour;
}

/** Metadata rules alone: name per kind, namespace, labels, annotations, owners, finalizers. */
export function validateMetadata(rt: ResourceType, o: Record<string, unknown>, old?: Record<string, unknown>): StatusCause[] {
  const out = validateObjectMeta(o, rt.namespaced, entryOf(rt).name);
  if (old) out.push(...validateObjectMetaUpdate(o, old));
  return out;
}

/**
 * Fills defaults into `obj` in place, then validates it (as an update when `old` is given).
 * Throws the 422 Invalid Status kubectl prints as `The <Kind> "<name>" is invalid: ...`.
 * @example defaultAndValidate(rt, body); // body now carries defaults, or a StatusError was thrown
 */
export function defaultAndValidate(rt: ResourceType, o: Record<string, unknown>, old?: Record<string, unknown>): void {
  const { behaviour } = entryOf(rt);
  behaviour.defaults?.(o);
  const causes = [...validateMetadata(rt, o, old), ...(behaviour.validate?.(o, old) ?? [])];
  if (causes.length === 0) return;
  const meta = obj(o.metadata);
  throw errors.invalid(rt.kind, rt.group, str(meta?.name) || str(meta?.generateName), causes);
}
