/**
 * What Deployments and ReplicaSets share: replicas, a required selector that matches the pod
 * template, a template that restarts Always, and a selector frozen after create.
 */
import type { StatusCause } from "../../api/status";
import { forbidden, goStringMap, GoValue, immutable, invalid, nonNegative, notSupported, required } from "./field-errors";
import { goLabelSelector, isEmptySelector, selectorMatches, validateLabelSelector } from "./label-selector";
import { validateLabels, validateAnnotations } from "./labels";
import { validatePodSpec } from "./pod-spec-validation";
import { jsonEqual, obj, str, type Obj } from "./shape";

/** Validates `spec.template` against `spec.selector` (both under `spec`). */
function validateTemplate(spec: Obj, selector: Obj | undefined): StatusCause[] {
  const template = obj(spec.template);
  if (!template) return [required("spec.template")];
  const meta = obj(template.metadata) ?? {};
  const labels = obj(meta.labels) ?? {};
  const out: StatusCause[] = [];
  if (selector && !isEmptySelector(selector) && !selectorMatches(selector, labels))
    out.push(invalid("spec.template.metadata.labels", new GoValue(goStringMap(obj(meta.labels))), "`selector` does not match template `labels`"));
  out.push(...validateLabels(meta.labels, "spec.template.metadata.labels"));
  out.push(...validateAnnotations(meta.annotations, "spec.template.metadata.annotations"));
  const podSpec = obj(template.spec) ?? {};
  out.push(...validatePodSpec(podSpec, "spec.template.spec", { isTemplate: true }));
  const restart = str(podSpec.restartPolicy);
  if (restart && restart !== "Always") out.push(notSupported("spec.template.spec.restartPolicy", restart, ["Always"]));
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null)
    out.push(forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in ReplicaSet is not Supported"));
  return out;
}

/** Spec rules common to Deployments and ReplicaSets (upstream words the empty-selector error the same for both). */
export function validateWorkloadSpec(o: Obj): StatusCause[] {
  const spec = obj(o.spec) ?? {};
  const out: StatusCause[] = [];
  out.push(...nonNegative("spec.replicas", spec.replicas));
  out.push(...nonNegative("spec.minReadySeconds", spec.minReadySeconds));
  const selector = obj(spec.selector);
  let usable = false;
  if (!selector) out.push(required("spec.selector"));
  else {
    if (isEmptySelector(selector)) out.push(invalid("spec.selector", goLabelSelector(selector), "empty selector is invalid for deployment"));
    const errs = validateLabelSelector(selector, "spec.selector");
    out.push(...errs);
    usable = errs.length === 0;
  }
  // A broken selector has already been reported; matching the template against it says nothing.
  out.push(...validateTemplate(spec, usable ? selector : undefined));
  return out;
}

/** On update the selector may not change (apps/v1 froze it so controllers never orphan pods). */
export function validateSelectorUnchanged(o: Obj, old: Obj): StatusCause[] {
  const sel = obj(o.spec)?.selector;
  const prev = obj(old.spec)?.selector;
  return jsonEqual(sel, prev) ? [] : [immutable("spec.selector", goLabelSelector(sel))];
}
