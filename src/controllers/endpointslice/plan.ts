/**
 * Which EndpointSlices to create, update and delete so that a Service's slices hold exactly its
 * desired endpoints (a simpler form of upstream's reconciler): endpoints stay in the slice they
 * are in, new ones fill slices with room, then new slices; at most 100 endpoints a slice; a
 * Service without endpoints keeps one empty placeholder slice. Slices that would not change are
 * left out, so a reconcile that changes nothing writes nothing.
 */
import { jsonEqual } from "../../resources/kinds/shape";
import { endpointKey, portsKey, type EndpointGroup } from "./desired";

type Obj = Record<string, any>;

export const MAX_ENDPOINTS_PER_SLICE = 100;
export const LABEL_SERVICE_NAME = "kubernetes.io/service-name";
export const LABEL_MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
export const MANAGED_BY = "endpointslice-controller.k8s.io";
const LABEL_HEADLESS = "service.kubernetes.io/headless";

export interface SlicePlan {
  /** New slices, without a name (they carry generateName). */
  readonly create: Obj[];
  /** Existing slices with their new content (resourceVersion kept for the compare-and-swap). */
  readonly update: Obj[];
  readonly remove: Obj[];
}

/** The labels every managed slice of the service carries: the service's own, then ours. */
export function sliceLabels(svc: Obj): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) {
    if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY) labels[k] = v as string;
  }
  if (svc.spec?.clusterIP === "None") labels[LABEL_HEADLESS] = "";
  labels[LABEL_SERVICE_NAME] = svc.metadata.name;
  labels[LABEL_MANAGED_BY] = MANAGED_BY;
  return labels;
}

function ownerRef(svc: Obj): Obj {
  return { apiVersion: "v1", kind: "Service", name: svc.metadata.name, uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true };
}

function byAddress(a: Obj, b: Obj): number {
  const ka = endpointKey(a);
  const kb = endpointKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A slice's content as the plan wants it. */
function withContent(svc: Obj, base: Obj, ports: Obj[], endpoints: Obj[]): Obj {
  const slice: Obj = {
    ...base,
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { ...base.metadata, labels: sliceLabels(svc), ownerReferences: [ownerRef(svc)] },
    addressType: "IPv4",
    endpoints: [...endpoints].sort(byAddress),
  };
  if (ports.length) slice.ports = ports;
  else delete slice.ports;
  return slice;
}

function newSlice(svc: Obj, ports: Obj[], endpoints: Obj[]): Obj {
  return withContent(svc, { metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace } }, ports, endpoints);
}

function changed(a: Obj, b: Obj): boolean {
  return (
    !jsonEqual(a.metadata?.labels ?? {}, b.metadata?.labels ?? {}) ||
    !jsonEqual(a.metadata?.ownerReferences ?? [], b.metadata?.ownerReferences ?? []) ||
    a.addressType !== b.addressType ||
    !jsonEqual(a.ports ?? [], b.ports ?? []) ||
    // Order within a slice means nothing: a reordered slice is not rewritten.
    !jsonEqual([...(a.endpoints ?? [])].sort(byAddress), [...(b.endpoints ?? [])].sort(byAddress))
  );
}

function byName(a: Obj, b: Obj): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/**
 * Plans the writes for one Service.
 * @example planSlices(svc, desiredGroups(svc, pods, zoneOf), managedSlicesOf(svc))
 */
export function planSlices(svc: Obj, desired: ReadonlyMap<string, EndpointGroup>, existing: readonly Obj[], max = MAX_ENDPOINTS_PER_SLICE): SlicePlan {
  const create: Obj[] = [];
  const update: Obj[] = [];
  const remove: Obj[] = [];
  const keep = (slice: Obj, next: Obj) => {
    if (changed(slice, next)) update.push(next);
  };
  const sorted = [...existing].sort(byName);
  if (desired.size === 0) {
    // Upstream keeps one placeholder slice (no ports, no endpoints) for a service with no endpoints.
    const [first, ...rest] = sorted;
    if (first) keep(first, withContent(svc, first, [], []));
    else create.push(newSlice(svc, [], []));
    remove.push(...rest);
    return { create, update, remove };
  }
  const byKey = new Map<string, Obj[]>();
  for (const slice of sorted) {
    const k = portsKey(slice.ports);
    if (!desired.has(k)) remove.push(slice);
    else byKey.set(k, [...(byKey.get(k) ?? []), slice]);
  }
  for (const [k, group] of desired) {
    const remaining = new Map(group.endpoints.map((ep) => [endpointKey(ep), ep]));
    const slices = (byKey.get(k) ?? []).map((slice) => {
      const eps: Obj[] = [];
      for (const ep of slice.endpoints ?? []) {
        const want = remaining.get(endpointKey(ep));
        if (want && eps.length < max) {
          eps.push(want);
          remaining.delete(endpointKey(ep));
        }
      }
      return { slice, eps };
    });
    for (const s of slices) {
      for (const [key, ep] of remaining) {
        if (s.eps.length >= max) break;
        s.eps.push(ep);
        remaining.delete(key);
      }
    }
    for (const s of slices) {
      if (s.eps.length === 0) remove.push(s.slice);
      else keep(s.slice, withContent(svc, s.slice, group.ports, s.eps));
    }
    const rest = [...remaining.values()];
    for (let i = 0; i < rest.length; i += max) create.push(newSlice(svc, group.ports, rest.slice(i, i + max)));
  }
  return { create, update, remove };
}
