import type { ApiContext } from "./context";
import { rfc3339, type Clock } from "../lib/clock";
import { applyPatch } from "../lib/patch";
import { formatLabelSelector } from "../lib/selectors";
import { bodyFormat, decodeBody, readBody } from "./body";
import type { ResourcePath } from "./paths";
import { writeParams } from "./query";
import { errors } from "./status";
import { clientFor, retryOnConflict } from "./store-client";

type Ctx = ApiContext;
type Obj = Record<string, any>;

const SCALE_MESSAGE = "k8s.io.api.autoscaling.v1.Scale";

/** The autoscaling/v1 Scale view of a Deployment or ReplicaSet. */
export function scaleOf(parent: Obj): Obj {
  const m = parent.metadata;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: parent.spec?.replicas ?? 0 },
    status: { replicas: parent.status?.replicas ?? 0, selector: formatLabelSelector(parent.spec?.selector) },
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/**
 * GET, PUT and PATCH of `<resource>/scale`. Like a patch of the object itself, a write that does
 * not name a resourceVersion is re-applied to a fresh read when it loses a race; one that does is
 * a precondition (409 on mismatch).
 */
export async function handleScale(c: Ctx, p: ResourcePath): Promise<Response> {
  const client = clientFor(c, p);
  const method = c.req.method;
  if (method === "GET") return json(scaleOf(await client.getObject(p.namespace ?? "", p.name!)));
  if (method !== "PUT" && method !== "PATCH") throw errors.methodNotAllowed(method, `${p.rt.resource}/scale`);
  const format = bodyFormat(c.req.header("content-type"));
  const body = decodeBody(await readBody(c.req.raw), format);
  const dryRun = writeParams(c.req.method, new URL(c.req.url)).dryRun;
  const patchType = format === "json-patch" ? "json" : format === "merge-patch" ? "merge" : format === "strategic-merge-patch" ? "strategic" : undefined;
  if (method === "PUT" && format !== "json" && format !== "yaml" && format !== "protobuf") throw errors.unsupportedMediaType(c.req.header("content-type") ?? "");
  if (method === "PATCH" && !patchType) throw errors.unsupportedMediaType(c.req.header("content-type") ?? "");
  const updated = await retryOnConflict(async () => {
    const current = await client.getObject(p.namespace ?? "", p.name!);
    const scale: Obj = method === "PUT" ? (body as Obj) : applyPatch(patchType!, scaleOf(current), body, SCALE_MESSAGE);
    const replicas = scale?.spec?.replicas;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
      throw errors.invalid("Scale", "autoscaling", p.name!, [{ reason: "FieldValueInvalid", field: "spec.replicas", message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    const pinned = method === "PUT" ? scale?.metadata?.resourceVersion : scale?.metadata?.resourceVersion !== current.metadata.resourceVersion ? scale?.metadata?.resourceVersion : undefined;
    const next = structuredClone(current);
    next.spec = { ...next.spec, replicas: replicas ?? 0 };
    next.metadata.resourceVersion = pinned || current.metadata.resourceVersion;
    return { res: await client.tryUpdate(next, { dryRun }), pinned: !!pinned };
  });
  return json(scaleOf(JSON.parse(updated)));
}

/** POST `pods/<name>/binding`: assigns a pending pod to a node, once. */
export async function handleBinding(c: Ctx, p: ResourcePath, clock: Clock): Promise<Response> {
  if (c.req.method !== "POST") throw errors.methodNotAllowed(c.req.method, "pods/binding");
  const format = bodyFormat(c.req.header("content-type"));
  const binding = decodeBody(await readBody(c.req.raw), format) as Obj;
  const node = binding?.target?.name;
  if (typeof node !== "string" || !node) {
    throw errors.invalid("Binding", "", p.name!, [{ reason: "FieldValueRequired", field: "target.name", message: "Required value" }]);
  }
  if (binding.metadata?.name && binding.metadata.name !== p.name) {
    throw errors.badRequest(`the name of the object (${binding.metadata.name}) does not match the name on the URL (${p.name})`);
  }
  const client = clientFor(c, p);
  const dryRun = writeParams(c.req.method, new URL(c.req.url)).dryRun;
  // A status write racing the binding (the scheduler's own, a kubelet's) is no reason to fail it.
  await retryOnConflict(async () => {
    const pod = await client.getObject(p.namespace ?? "", p.name!);
    if (pod.metadata.deletionTimestamp) throw errors.conflict("pods", "", p.name!, "pod is being deleted, cannot be assigned to a host");
    if (pod.spec?.nodeName) throw errors.conflict("pods", "", p.name!, `pod ${p.name} is already assigned to node "${pod.spec.nodeName}"`);
    const next = structuredClone(pod);
    next.spec.nodeName = node;
    const conditions: Obj[] = (next.status.conditions ?? []).filter((x: Obj) => x.type !== "PodScheduled");
    conditions.push({ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: rfc3339(clock.now()) });
    next.status = { ...next.status, conditions };
    return { res: await client.tryUpdate(next, { subresource: "binding", dryRun }), pinned: false };
  });
  return json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
}

/**
 * POST `pods/<name>/eviction` (`kubectl drain`): a policy/v1 Eviction deletes the pod with its
 * DeleteOptions. No PodDisruptionBudgets are served, so no eviction is refused for one.
 */
export async function handleEviction(c: Ctx, p: ResourcePath): Promise<Response> {
  if (c.req.method !== "POST") throw errors.methodNotAllowed(c.req.method, "pods/eviction");
  const format = bodyFormat(c.req.header("content-type"));
  const eviction = decodeBody(await readBody(c.req.raw), format) as Obj;
  if (eviction?.metadata?.name && eviction.metadata.name !== p.name) {
    throw errors.badRequest(`name in URL does not match name in Eviction object`);
  }
  const opts = eviction?.deleteOptions ?? {};
  await clientFor(c, p).remove(p.namespace ?? "", p.name!, {
    gracePeriodSeconds: opts.gracePeriodSeconds ?? undefined,
    preconditions: opts.preconditions ?? undefined,
    dryRun: writeParams("POST", new URL(c.req.url)).dryRun || (Array.isArray(opts.dryRun) && opts.dryRun.includes("All")),
  });
  return json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }, 201);
}
