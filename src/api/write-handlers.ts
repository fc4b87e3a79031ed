import type { ApiContext } from "./context";
import { applyPatch, type PatchType } from "../lib/patch";
import { apiVersionOf } from "../resources/registry";
import type { DeleteOptions } from "../store/objects";
import { admit } from "./admission";
import { bodyFormat, decodeBody, readBody, type BodyFormat } from "./body";
import type { ResourcePath } from "./paths";
import { intParam, writeParams } from "./query";
import { errors, StatusError } from "./status";
import { clientFor, retryOnConflict } from "./store-client";

type Ctx = ApiContext;
type Obj = Record<string, any>;

function respond(json: string, status: number, warnings: string[]): Response {
  const headers = new Headers({ "content-type": "application/json" });
  for (const w of warnings) headers.append("warning", `299 - ${JSON.stringify(w)}`);
  return new Response(json, { status, headers });
}

async function bodyOf(c: Ctx): Promise<{ value: unknown; format: BodyFormat }> {
  const format = bodyFormat(c.req.header("content-type"));
  const bytes = await readBody(c.req.raw);
  return { value: decodeBody(bytes, format), format };
}

/** POST to a collection. */
export async function createObject(c: Ctx, p: ResourcePath): Promise<Response> {
  const params = writeParams(c.req.method, new URL(c.req.url));
  const { value, format } = await bodyOf(c);
  if (format !== "json" && format !== "yaml" && format !== "protobuf") throw errors.unsupportedMediaType(c.req.header("content-type") ?? "");
  const { object, warnings } = admit(p.rt, value, { namespace: p.namespace, fieldValidation: params.fieldValidation });
  const json = await clientFor(c, p).create(object, { dryRun: params.dryRun });
  return respond(json, 201, warnings);
}

/** PUT of an object or its status. */
export async function replaceObject(c: Ctx, p: ResourcePath): Promise<Response> {
  const params = writeParams(c.req.method, new URL(c.req.url));
  const { value, format } = await bodyOf(c);
  if (format !== "json" && format !== "yaml" && format !== "protobuf") throw errors.unsupportedMediaType(c.req.header("content-type") ?? "");
  const client = clientFor(c, p);
  const old = await client.getObject(p.namespace ?? "", p.name!);
  const { object, warnings } = admit(p.rt, value, {
    namespace: p.namespace,
    name: p.name,
    fieldValidation: params.fieldValidation,
    old,
  });
  const json = await client.update(object, { dryRun: params.dryRun, subresource: p.subresource });
  return respond(json, 200, warnings);
}

function patchTypeOfFormat(format: BodyFormat): PatchType {
  if (format === "json-patch") return "json";
  if (format === "merge-patch") return "merge";
  if (format === "strategic-merge-patch") return "strategic";
  if (format === "apply-patch") {
    throw new StatusError(415, "UnsupportedMediaType", "server-side apply (application/apply-patch+yaml) is not supported by this server yet; use client-side kubectl apply");
  }
  throw errors.unsupportedMediaType(format);
}

/**
 * PATCH: read the stored object, apply the patch here in the Worker, admit the result, and write
 * it back as a compare-and-swap on the revision that was read; a lost race is retried.
 */
export async function patchObject(c: Ctx, p: ResourcePath): Promise<Response> {
  const params = writeParams(c.req.method, new URL(c.req.url));
  const format = bodyFormat(c.req.header("content-type"));
  const type = patchTypeOfFormat(format);
  const patch = decodeBody(await readBody(c.req.raw), format);
  const client = clientFor(c, p);
  let warnings: string[] = [];
  const json = await retryOnConflict(async () => {
    const old = await client.getObject(p.namespace ?? "", p.name!);
    const patched = applyPatch(type, old, patch, p.rt.message) as Obj;
    // A patch that names a resourceVersion is a precondition (kubectl diff); otherwise the read one is.
    const pinned = patched.metadata?.resourceVersion !== old.metadata.resourceVersion;
    const admitted = admit(p.rt, patched, { namespace: p.namespace, name: p.name, fieldValidation: params.fieldValidation, old });
    warnings = admitted.warnings;
    admitted.object.metadata.resourceVersion = patched.metadata?.resourceVersion ?? old.metadata.resourceVersion;
    return { res: await client.tryUpdate(admitted.object, { dryRun: params.dryRun, subresource: p.subresource }), pinned };
  });
  return respond(json, 200, warnings);
}

function deleteOptionsOf(url: URL, body: Obj | undefined): DeleteOptions {
  const q = url.searchParams;
  const opts: DeleteOptions = { dryRun: writeParams("DELETE", url).dryRun || (Array.isArray(body?.dryRun) && body!.dryRun.includes("All")) };
  const grace = body?.gracePeriodSeconds ?? intParam(url, "gracePeriodSeconds");
  if (grace !== undefined && grace !== null) {
    if (typeof grace !== "number" || !Number.isInteger(grace)) throw errors.badRequest("gracePeriodSeconds must be an integer");
    opts.gracePeriodSeconds = grace;
  }
  let policy = body?.propagationPolicy ?? q.get("propagationPolicy") ?? undefined;
  const orphan = body?.orphanDependents ?? (q.has("orphanDependents") ? q.get("orphanDependents") === "true" : undefined);
  if (policy === undefined && orphan !== undefined) policy = orphan ? "Orphan" : "Background";
  if (policy !== undefined && policy !== null) {
    if (!["Background", "Foreground", "Orphan"].includes(policy)) {
      throw errors.invalid("DeleteOptions", "meta.k8s.io", "", [
        { reason: "FieldValueNotSupported", field: "propagationPolicy", message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"` },
      ]);
    }
    opts.propagationPolicy = policy;
  }
  if (body?.preconditions) opts.preconditions = body.preconditions;
  return opts;
}

async function deleteOptionsBody(c: Ctx): Promise<Obj | undefined> {
  const bytes = await readBody(c.req.raw);
  if (bytes.byteLength === 0) return undefined;
  const format = bodyFormat(c.req.header("content-type"));
  if (format !== "json" && format !== "yaml" && format !== "protobuf") throw errors.unsupportedMediaType(c.req.header("content-type") ?? "");
  const v = decodeBody(bytes, format);
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw errors.badRequest("the body of a delete must be a DeleteOptions object");
  return v as Obj;
}

function successStatus(p: ResourcePath, name: string, uid: string): string {
  return JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Success",
    details: { name, group: p.rt.group, kind: p.rt.resource, uid },
  });
}

/** DELETE of one object: immediate, or marked for deletion while finalizers or a grace period run. */
export async function deleteObject(c: Ctx, p: ResourcePath): Promise<Response> {
  const url = new URL(c.req.url);
  const opts = deleteOptionsOf(url, await deleteOptionsBody(c));
  const res = await clientFor(c, p).remove(p.namespace ?? "", p.name!, opts);
  if (res.kind === "object") return respond(res.json, 200, []);
  return respond(successStatus(p, p.name!, res.uid), 200, []);
}

/** DELETE of a collection: every object the selectors match, one by one. */
export async function deleteCollection(c: Ctx, p: ResourcePath): Promise<Response> {
  const url = new URL(c.req.url);
  const opts = deleteOptionsOf(url, await deleteOptionsBody(c));
  const client = clientFor(c, p);
  const q = url.searchParams;
  const list = await client.list(p.namespace, { labelSelector: q.get("labelSelector") ?? undefined, fieldSelector: q.get("fieldSelector") ?? undefined });
  const deleted: string[] = [];
  for (const item of list.items) {
    const obj = JSON.parse(item);
    const res = await client.tryRemove(obj.metadata.namespace ?? "", obj.metadata.name, opts);
    if (res.ok) deleted.push(res.value.json);
    else if (res.status.code !== 404) throw StatusError.fromStatus(res.status);
  }
  return respond(`{"kind":"${p.rt.kind}List","apiVersion":"${apiVersionOf(p.rt)}","metadata":{"resourceVersion":"${list.resourceVersion}"},"items":[${deleted.join(",")}]}`, 200, []);
}
