import { decodeObject, type FieldValidation } from "../schema/decode";
import { defaultAndValidate } from "../resources/kinds";
import { apiVersionOf, type ResourceType } from "../resources/registry";
import { errors } from "./status";

type Obj = Record<string, any>;

export interface AdmissionContext {
  /** The namespace from the URL. */
  namespace?: string;
  /** The name from the URL (updates). */
  name?: string;
  fieldValidation: FieldValidation;
  /** The stored object, for updates. */
  old?: Obj;
  /** Skip semantic validation (subresources whose writes are checked by their own rules). */
  skipValidation?: boolean;
}

export interface Admitted {
  object: Obj;
  warnings: string[];
}

/** An update cannot change what the server owns; like upstream, it is restored before validation. */
function restoreSystemFields(meta: Obj, old: Obj): void {
  if (!meta.uid) meta.uid = old.uid;
  if (old.creationTimestamp) meta.creationTimestamp = old.creationTimestamp;
  for (const k of ["generation", "deletionTimestamp", "deletionGracePeriodSeconds"]) {
    if (old[k] !== undefined) meta[k] = old[k];
    else delete meta[k];
  }
}


/**
 * The Worker's half of a write: kind check, schema decoding (unknown fields pruned or refused),
 * namespace and name agreement with the URL, defaulting and validation.
 */
export function admit(rt: ResourceType, body: unknown, ctx: AdmissionContext): Admitted {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw errors.badRequest(`the body of the request must be a JSON object describing a ${rt.kind}`);
  }
  const input = body as Obj;
  const expected = apiVersionOf(rt);
  if (input.apiVersion !== undefined && input.apiVersion !== expected) {
    throw errors.badRequest(`the API version in the data (${input.apiVersion}) does not match the expected API version (${expected})`);
  }
  if (input.kind !== undefined && input.kind !== rt.kind) {
    throw errors.badRequest(`the kind in the data (${input.kind}) does not match the expected kind (${rt.kind})`);
  }
  const { object, warnings } = decodeObject(rt.message, { kind: rt.kind, version: rt.version }, { ...input, apiVersion: expected, kind: rt.kind }, ctx.fieldValidation);
  object.apiVersion = expected;
  object.kind = rt.kind;
  const meta = (object.metadata ??= {}) as Obj;
  if (rt.namespaced) {
    if (meta.namespace && ctx.namespace && meta.namespace !== ctx.namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    meta.namespace = ctx.namespace ?? meta.namespace;
    if (!meta.namespace) throw errors.badRequest("the namespace of the object is required");
  } else delete meta.namespace;
  if (ctx.name !== undefined) {
    if (meta.name && meta.name !== ctx.name) throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${ctx.name})`);
    meta.name = ctx.name;
  }
  if (ctx.old) restoreSystemFields(meta, ctx.old.metadata ?? {});
  if (!ctx.skipValidation) defaultAndValidate(rt, object as Obj, ctx.old);
  return { object: object as Obj, warnings };
}
