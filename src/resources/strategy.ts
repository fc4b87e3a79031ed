import type { ResourceType } from "./registry";

type Obj = Record<string, any>;

/** Kinds whose status belongs to their own subresource: the main resource cannot write it. */
function hasStatusSubresource(rt: ResourceType): boolean {
  return rt.subresources.some((s) => s.name === "status");
}

function initialStatus(rt: ResourceType, obj: Obj): unknown {
  switch (rt.kind) {
    case "Pod":
      return { phase: "Pending", qosClass: qosClassOf(obj.spec ?? {}) };
    case "Namespace":
      return { phase: "Active" };
    case "Node":
      return obj.status ?? {};
    default:
      return {};
  }
}

/** Guaranteed when every container has equal cpu and memory requests and limits, BestEffort with none at all. */
export function qosClassOf(spec: Obj): "Guaranteed" | "Burstable" | "BestEffort" {
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ["cpu", "memory"]) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

/** What a create may not set: the server owns status (for kinds with a status subresource). */
export function prepareForCreate(rt: ResourceType, obj: Obj): void {
  if (hasStatusSubresource(rt)) obj.status = initialStatus(rt, obj);
  if (rt.hasSpecGeneration) obj.metadata.generation = 1;
}

/**
 * Merges an update into the stored object as upstream strategies do: a main-resource write keeps
 * the stored status, a status write keeps the stored spec and metadata, and a spec change bumps
 * metadata.generation.
 */
export function prepareForUpdate(rt: ResourceType, next: Obj, old: Obj, subresource: string | undefined): Obj {
  let out: Obj;
  if (subresource === "status") {
    out = { ...old, status: next.status };
    out.metadata = { ...old.metadata };
  } else if (subresource === "binding") {
    // A binding sets spec.nodeName and the PodScheduled condition together.
    out = { ...next };
  } else {
    out = { ...next };
    if (hasStatusSubresource(rt)) {
      if (old.status === undefined) delete out.status;
      else out.status = old.status;
    }
  }
  const m = (out.metadata = { ...out.metadata });
  m.uid = old.metadata.uid;
  m.name = old.metadata.name;
  if (old.metadata.namespace !== undefined) m.namespace = old.metadata.namespace;
  m.creationTimestamp = old.metadata.creationTimestamp;
  for (const k of ["deletionTimestamp", "deletionGracePeriodSeconds"]) {
    if (old.metadata[k] !== undefined) m[k] = old.metadata[k];
    else delete m[k];
  }
  if (old.metadata.generation !== undefined) m.generation = old.metadata.generation;
  else delete m.generation;
  if (rt.hasSpecGeneration && subresource !== "status" && JSON.stringify(out.spec) !== JSON.stringify(old.spec)) {
    m.generation = (old.metadata.generation ?? 0) + 1;
  }
  delete m.resourceVersion;
  return out;
}
