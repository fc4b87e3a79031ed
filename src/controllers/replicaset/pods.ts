/**
 * Pod predicates the workload controllers share: active, ready, available (with the time left
 * until a ready pod counts as available), and building a pod from a template.
 */

type Obj = Record<string, any>;

/** Succeeded and Failed pods and pods being deleted no longer count toward a ReplicaSet. */
export function isPodActive(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !pod.metadata?.deletionTimestamp;
}

function readyCondition(pod: Obj): Obj | undefined {
  return (pod.status?.conditions ?? []).find((c: Obj) => c.type === "Ready");
}

export function isPodReady(pod: Obj): boolean {
  return readyCondition(pod)?.status === "True";
}

/** When the pod last became Ready (ms), or 0 when it is not ready or the time is unknown. */
export function podReadyTime(pod: Obj): number {
  const c = readyCondition(pod);
  if (c?.status !== "True" || !c.lastTransitionTime) return 0;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? 0 : t;
}

/**
 * How long until a pod counts as available: 0 when it already is, undefined when it is not
 * ready (so no wait would help). A pod is available once it has been Ready for minReadySeconds.
 * @example msUntilAvailable(podReadySince(t0), 10, t0 + 4000) // 6000
 */
export function msUntilAvailable(pod: Obj, minReadySeconds: number, nowMs: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (!minReadySeconds) return 0;
  const since = podReadyTime(pod);
  if (!since) return undefined;
  return Math.max(0, since + minReadySeconds * 1000 - nowMs);
}

export function isPodAvailable(pod: Obj, minReadySeconds: number, nowMs: number): boolean {
  return msUntilAvailable(pod, minReadySeconds, nowMs) === 0;
}

/** A controller ownerReference pointing at `owner`. */
export function controllerRefTo(owner: Obj, apiVersion: string, kind: string): Obj {
  return { apiVersion, kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/**
 * The pod a controller creates from its template: the template's labels, annotations and
 * finalizers, a generateName of `<owner>-`, the controller reference and a copy of the spec.
 */
export function podFromTemplate(template: Obj, namespace: string, ownerName: string, controllerRef: Obj): Obj {
  const meta: Obj = { generateName: `${ownerName}-`, namespace };
  const tm = template.metadata ?? {};
  if (tm.labels && Object.keys(tm.labels).length) meta.labels = { ...tm.labels };
  if (tm.annotations && Object.keys(tm.annotations).length) meta.annotations = { ...tm.annotations };
  if (Array.isArray(tm.finalizers) && tm.finalizers.length) meta.finalizers = [...tm.finalizers];
  meta.ownerReferences = [structuredClone(controllerRef)];
  return { apiVersion: "v1", kind: "Pod", metadata: meta, spec: structuredClone(template.spec ?? {}) };
}
