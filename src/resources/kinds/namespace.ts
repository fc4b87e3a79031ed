/**
 * Namespaces: the `kubernetes` finalizer, the Active phase, and the immutable
 * `kubernetes.io/metadata.name` label that lets selectors pick namespaces by name.
 */
import type { StatusCause } from "../../api/status";
import { invalid } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { validateFinalizerName } from "./metadata";
import { arr, ensureObj, obj, str, type Obj } from "./shape";

/** The label the apiserver keeps equal to the namespace's name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Fills a Namespace's defaults in place. */
export function defaultNamespace(ns: Obj): void {
  const spec = ensureObj(ns, "spec");
  if (!Array.isArray(spec.finalizers)) spec.finalizers = ["kubernetes"];
  const status = ensureObj(ns, "status");
  if (!status.phase) status.phase = "Active";
  const meta = ensureObj(ns, "metadata");
  const name = str(meta.name);
  // Always overwritten, not only when absent: the label must not lie about the name.
  if (name) ensureObj(meta, "labels")[NAMESPACE_NAME_LABEL] = name;
}

/** Validates a Namespace create or update. */
export function validateNamespace(ns: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  for (const f of arr(obj(ns.spec)?.finalizers)) out.push(...validateFinalizerName(String(f), "spec.finalizers"));
  const phase = str(obj(ns.status)?.phase);
  if (phase && phase !== "Active" && phase !== "Terminating") out.push(invalid("status.phase", phase, "must be Active or Terminating"));
  return out;
}

/** Namespace behaviour. */
export const namespace: KindBehaviour = { defaults: defaultNamespace, validate: validateNamespace };
