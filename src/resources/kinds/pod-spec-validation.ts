/**
 * PodSpec validation shared by Pods and the pod templates of workloads.
 */
import type { StatusCause } from "../../api/status";
import { isDNS1123Label, isDNS1123Subdomain } from "../../lib/names";
import { duplicate, invalid, notSupported, required } from "./field-errors";
import { validateContainer } from "./container-validation";
import { validateLabels, validateLabelName } from "./labels";
import { objs, str, type Obj } from "./shape";

/** Restart policies, in the order the apiserver lists them. */
export const RESTART_POLICIES = ["Always", "OnFailure", "Never"];
const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** What differs between validating a Pod and validating a template. */
export interface PodSpecOptions {
  /** Pods need images; templates may leave them for later tooling. */
  readonly isTemplate: boolean;
}

function validateVolumes(spec: Obj, field: string): { names: Set<string>; errs: StatusCause[] } {
  const names = new Set<string>();
  const errs: StatusCause[] = [];
  objs(spec.volumes).forEach((v, i) => {
    const at = `${field}[${i}].name`;
    const name = str(v.name);
    if (!name) errs.push(required(at));
    else {
      errs.push(...isDNS1123Label(name).map((m) => invalid(at, name, m)));
      if (names.has(name)) errs.push(duplicate(at, name));
    }
    names.add(name);
  });
  return { names, errs };
}

function validateTolerations(tolerations: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  objs(tolerations).forEach((t, i) => {
    const at = `${field}[${i}]`;
    const key = str(t.key);
    if (key) out.push(...validateLabelName(key, `${at}.key`));
    const op = str(t.operator) || "Equal";
    if (op === "Exists" && str(t.value)) out.push(invalid(`${at}.operator`, op, "value must be empty when `operator` is 'Exists'"));
    else if (op !== "Exists" && op !== "Equal") out.push(notSupported(`${at}.operator`, op, ["Equal", "Exists"]));
    if (!key && op !== "Exists") out.push(invalid(`${at}.operator`, op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
    const effect = str(t.effect);
    if (effect && !TAINT_EFFECTS.includes(effect)) out.push(notSupported(`${at}.effect`, effect, TAINT_EFFECTS));
    if (typeof t.tolerationSeconds === "number" && effect !== "NoExecute") out.push(invalid(`${at}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  });
  return out;
}

/** Validates a PodSpec at `field` ("spec" for Pods, "spec.template.spec" for workloads). */
export function validatePodSpec(spec: Obj, field: string, opts: PodSpecOptions): StatusCause[] {
  const out: StatusCause[] = [];
  const { names: volumes, errs } = validateVolumes(spec, `${field}.volumes`);
  out.push(...errs);
  const ctx = { requireImage: !opts.isTemplate, volumes };

  const seen = new Set<string>();
  const checkUnique = (c: Obj, at: string): void => {
    const name = str(c.name);
    if (!name) return;
    if (seen.has(name)) out.push(duplicate(`${at}.name`, name));
    seen.add(name);
  };
  objs(spec.initContainers).forEach((c, i) => {
    out.push(...validateContainer(c, `${field}.initContainers[${i}]`, ctx, true));
    checkUnique(c, `${field}.initContainers[${i}]`);
  });
  const containers = objs(spec.containers);
  if (containers.length === 0) out.push(required(`${field}.containers`));
  containers.forEach((c, i) => {
    out.push(...validateContainer(c, `${field}.containers[${i}]`, ctx, false));
    checkUnique(c, `${field}.containers[${i}]`);
  });

  const restart = str(spec.restartPolicy);
  if (!restart) out.push(required(`${field}.restartPolicy`));
  else if (!RESTART_POLICIES.includes(restart)) out.push(notSupported(`${field}.restartPolicy`, restart, RESTART_POLICIES));
  const dns = str(spec.dnsPolicy);
  if (!dns) out.push(required(`${field}.dnsPolicy`));
  else if (!DNS_POLICIES.includes(dns)) out.push(notSupported(`${field}.dnsPolicy`, dns, DNS_POLICIES));

  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === "number" && (ads < 1 || ads > 2147483647)) out.push(invalid(`${field}.activeDeadlineSeconds`, ads, "must be between 1 and 2147483647, inclusive"));
  const grace = spec.terminationGracePeriodSeconds;
  if (typeof grace === "number" && grace < 0) out.push(invalid(`${field}.terminationGracePeriodSeconds`, grace, "must be greater than or equal to 0"));

  out.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));
  for (const key of ["hostname", "subdomain"]) {
    const v = str(spec[key]);
    if (v) out.push(...isDNS1123Label(v).map((m) => invalid(`${field}.${key}`, v, m)));
  }
  const sa = str(spec.serviceAccountName);
  if (sa) out.push(...isDNS1123Subdomain(sa).map((m) => invalid(`${field}.serviceAccountName`, sa, m)));
  const nodeName = str(spec.nodeName);
  if (nodeName) out.push(...isDNS1123Subdomain(nodeName).map((m) => invalid(`${field}.nodeName`, nodeName, m)));
  out.push(...validateTolerations(spec.tolerations, `${field}.tolerations`));
  return out;
}
