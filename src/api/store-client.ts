import type { ClusterStore, Result } from "../store/cluster-store";
import type { ResourceRef } from "../store/objects";
import type { ResourceType } from "../resources/registry";
import { StatusError } from "./status";

export type StoreStub = DurableObjectStub<ClusterStore>;

/** The store of the cluster this deployment serves, picked by name. */
export function storeFor(env: Env): StoreStub {
  const name = env.CLUSTER_NAME || "default";
  return env.CLUSTER.get(env.CLUSTER.idFromName(name));
}

export function refOf(rt: ResourceType): ResourceRef {
  return { group: rt.group, version: rt.version, resource: rt.resource };
}

/** Turns an RPC answer back into a value or a thrown StatusError. */
export function unwrap<T>(res: Result<T>): T {
  if (res.ok) return res.value;
  throw StatusError.fromStatus(res.status);
}
