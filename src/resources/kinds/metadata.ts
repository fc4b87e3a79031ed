/**
 * Object metadata rules every kind shares: name / generateName, namespace presence, labels,
 * annotations, owner references, finalizers, and what may not change on update.
 */
import type { StatusCause } from "../../api/status";
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, maskTrailingDash } from "../../lib/names";
import { forbidden, goStringSlice, immutable, invalid, required, GoValue } from "./field-errors";
import { validateAnnotations, validateLabels } from "./labels";
import { arr, obj, objs, str, type Obj } from "./shape";

/** Checks a name (or, with `prefix`, a generateName prefix) and returns the problems. */
export type NameRule = (name: string, prefix: boolean) => string[];

/** Most kinds: DNS-1123 subdomain. */
export const subdomainName: NameRule = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** Namespaces: DNS-1123 label. */
export const labelName: NameRule = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);

/** Finalizers built into Kubernetes that need no domain prefix. */
const STANDARD_FINALIZERS = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

/** One finalizer name: a qualified name, and unprefixed only for the built-in ones. */
export function validateFinalizerName(name: string, field: string): StatusCause[] {
  const errs = isQualifiedName(name).map((m) => invalid(field, name, m));
  if (errs.length) return errs;
  if (!name.includes("/") && !STANDARD_FINALIZERS.has(name)) return [invalid(field, name, "name is neither a standard finalizer name nor is it fully qualified")];
  return [];
}

function validateOwnerReferences(refs: unknown): StatusCause[] {
  const field = "metadata.ownerReferences";
  const out: StatusCause[] = [];
  const controllers: string[] = [];
  for (const ref of objs(refs)) {
    const apiVersion = str(ref.apiVersion);
    if (!apiVersion) out.push(invalid(`${field}.apiVersion`, apiVersion, "version must not be empty"));
    if (!str(ref.kind)) out.push(invalid(`${field}.kind`, str(ref.kind), "kind must not be empty"));
    if (!str(ref.name)) out.push(invalid(`${field}.name`, str(ref.name), "name must not be empty"));
    if (!str(ref.uid)) out.push(invalid(`${field}.uid`, str(ref.uid), "uid must not be empty"));
    if (ref.controller === true) controllers.push(`${str(ref.kind)}/${str(ref.name)}`);
  }
  if (controllers.length > 1)
    out.push(
      // Go prints the offending slice with pointer addresses; an elided form carries the same news.
      invalid(field, new GoValue("[]v1.OwnerReference{...}"), `Only one reference can have Controller set to true. Found "true" in references for [${controllers.join(" ")}]`),
    );
  return out;
}

/** Metadata rules of a create (and the shape rules re-checked on every update). */
export function validateObjectMeta(o: Obj, namespaced: boolean, nameRule: NameRule): StatusCause[] {
  const meta = obj(o.metadata) ?? {};
  const out: StatusCause[] = [];
  const name = str(meta.name);
  const generateName = str(meta.generateName);
  if (generateName) out.push(...nameRule(generateName, true).map((m) => invalid("metadata.generateName", generateName, m)));
  if (!name && !generateName) out.push(required("metadata.name", "name or generateName is required"));
  else if (name) out.push(...nameRule(name, false).map((m) => invalid("metadata.name", name, m)));

  const ns = str(meta.namespace);
  if (namespaced) {
    if (!ns) out.push(required("metadata.namespace"));
    else out.push(...isDNS1123Label(ns).map((m) => invalid("metadata.namespace", ns, m)));
  } else if (ns) {
    out.push(forbidden("metadata.namespace", "not allowed on this type"));
  }
  if (typeof meta.generation === "number" && meta.generation < 0) out.push(invalid("metadata.generation", meta.generation, "must be a non-negative integer"));

  out.push(...validateLabels(meta.labels, "metadata.labels"));
  out.push(...validateAnnotations(meta.annotations, "metadata.annotations"));
  out.push(...validateOwnerReferences(meta.ownerReferences));
  for (const f of arr(meta.finalizers)) out.push(...validateFinalizerName(String(f), "metadata.finalizers"));
  return out;
}

/** What an update may not change in metadata. Empty system fields mean "keep", so they are skipped. */
export function validateObjectMetaUpdate(o: Obj, old: Obj): StatusCause[] {
  const meta = obj(o.metadata) ?? {};
  const prev = obj(old.metadata) ?? {};
  const out: StatusCause[] = [];
  for (const key of ["name", "namespace", "uid", "creationTimestamp"]) {
    const now = meta[key];
    if (now === undefined || now === null || now === "") continue;
    if (prev[key] !== undefined && now !== prev[key]) out.push(immutable(`metadata.${key}`, str(now)));
  }
  if (prev.deletionTimestamp) {
    const before = new Set(arr(prev.finalizers).map(String));
    const added = [...new Set(arr(meta.finalizers).map(String))].filter((f) => !before.has(f)).sort();
    if (added.length) out.push(forbidden("metadata.finalizers", `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`));
  }
  return out;
}
