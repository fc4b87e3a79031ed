/**
 * Pods: spec defaults plus what admission adds on a real cluster (priority, service account,
 * not-ready/unreachable tolerations), and create/update validation.
 */
import type { StatusCause } from "../../api/status";
import { forbidden } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { defaultPodSpec, defaultRequestsFromLimits } from "./pod-spec-defaults";
import { validatePodSpec } from "./pod-spec-validation";
import { ensureObj, jsonEqual, obj, objs, setDefault, str, type Obj } from "./shape";

/** Seconds a pod stays bound to a node that went not-ready or unreachable. */
const DEFAULT_TOLERATION_SECONDS = 300;
const NODE_CONDITION_TAINTS = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

function defaultTolerations(spec: Obj): void {
  const list = objs(spec.tolerations);
  for (const key of NODE_CONDITION_TAINTS) {
    const covered = list.some((t) => (str(t.key) === key || (!t.key && t.operator === "Exists")) && (!t.effect || t.effect === "NoExecute"));
    if (!covered) list.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  spec.tolerations = list;
}

/** Fills a Pod's defaults in place. */
export function defaultPod(pod: Obj): void {
  const spec = ensureObj(pod, "spec");
  defaultPodSpec(spec);
  const all = [...objs(spec.initContainers), ...objs(spec.containers)];
  for (const c of all) defaultRequestsFromLimits(c);
  if (spec.hostNetwork === true) {
    // Host-network pods use the node's ports, so each containerPort doubles as its hostPort.
    for (const c of all) for (const p of objs(c.ports)) setDefault(p, "hostPort", p.containerPort);
  }
  setDefault(spec, "enableServiceLinks", true);
  setDefault(spec, "serviceAccountName", str(spec.serviceAccount) || "default");
  setDefault(spec, "serviceAccount", spec.serviceAccountName);
  setDefault(spec, "priority", 0);
  setDefault(spec, "preemptionPolicy", "PreemptLowerPriority");
  defaultTolerations(spec);
}

/** The spec with the fields a Pod update may change blanked out, for comparison. */
function frozenPart(spec: Obj, allowNodeName: boolean): Obj {
  const copy = structuredClone(spec);
  for (const list of ["containers", "initContainers"]) for (const c of objs(copy[list])) delete c.image;
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  delete copy.ephemeralContainers;
  if (allowNodeName) delete copy.nodeName;
  return copy;
}

const UPDATE_MESSAGE =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/** Validates a Pod create or update. */
export function validatePod(pod: Obj, old?: Obj): StatusCause[] {
  const spec = obj(pod.spec) ?? {};
  const out = validatePodSpec(spec, "spec", { isTemplate: false });
  if (old) {
    const prev = obj(old.spec) ?? {};
    // Binding sets nodeName once; afterwards it is as frozen as the rest of the spec.
    const allowNodeName = !str(prev.nodeName);
    if (!jsonEqual(frozenPart(spec, allowNodeName), frozenPart(prev, allowNodeName))) out.push(forbidden("spec", UPDATE_MESSAGE));
  }
  return out;
}

/** Pod behaviour. */
export const pod: KindBehaviour = { defaults: defaultPod, validate: validatePod };
