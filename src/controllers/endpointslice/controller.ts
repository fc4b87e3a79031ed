/**
 * The EndpointSlice controller (upstream pkg/controller/endpointslice): for every Service with
 * a selector, discovery.k8s.io/v1 EndpointSlices that list the selected pods' addresses with
 * their readiness, node and resolved ports, owned by the Service so that they go with it.
 * Services without a selector are left alone: their slices are the user's.
 */
import { StatusError } from "../../api/status";
import { findResource } from "../../resources/registry";
import { keyOf, splitKey, type Change, type Controller } from "../controller";
import type { ClusterView } from "../view";
import { desiredGroups } from "./desired";
import { hasSelector, isNamespaceTerminating, selectorMatches, selectorOf } from "./pod-endpoints";
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MANAGED_BY, planSlices } from "./plan";
import { ServiceSelectorIndex } from "./service-index";

type Obj = Record<string, any>;

export const ENDPOINTSLICE_CONTROLLER = "endpointslice";

const SVC = findResource("", "v1", "services")!;
const POD = findResource("", "v1", "pods")!;
const NODE = findResource("", "v1", "nodes")!;
const SLICE = findResource("discovery.k8s.io", "v1", "endpointslices")!;
const ZONE_LABEL = "topology.kubernetes.io/zone";

function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}

/** The service a managed slice belongs to, as a key. */
function managedSliceKey(slice: Obj): string[] {
  const labels = slice.metadata?.labels ?? {};
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY || !labels[LABEL_SERVICE_NAME]) return [];
  return [`${slice.metadata.namespace}/${labels[LABEL_SERVICE_NAME]}`];
}

/**
 * @example runtime.register(endpointSliceController(view))
 */
export function endpointSliceController(view: ClusterView): Controller {
  const index = new ServiceSelectorIndex(view);

  /** Zones of nodes, read once per reconcile however many pods a node runs. */
  function zoneReader(): (node: string) => string | undefined {
    const zones = new Map<string, string | undefined>();
    return (node) => {
      if (!zones.has(node)) zones.set(node, view.get(NODE, "", node)?.metadata?.labels?.[ZONE_LABEL]);
      return zones.get(node);
    };
  }

  function managedSlices(svc: Obj): Obj[] {
    return view.list(SLICE, svc.metadata.namespace, { matchLabels: { [LABEL_SERVICE_NAME]: svc.metadata.name, [LABEL_MANAGED_BY]: MANAGED_BY } });
  }

  return {
    name: ENDPOINTSLICE_CONTROLLER,

    keysFor(change: Change): string[] {
      const { rt } = change;
      if (rt === SVC) {
        index.invalidate(change.obj.metadata?.namespace ?? "");
        return change.deleted ? [] : [keyOf(change.obj)];
      }
      if (rt === POD) return index.keysForPod(change);
      if (rt === SLICE) return managedSliceKey(change.obj);
      return [];
    },

    reconcile(key: string): void {
      const { namespace, name } = splitKey(key);
      const svc = view.get(SVC, namespace, name);
      // A deleted Service's slices go with it through their owner reference.
      if (!svc || svc.metadata.deletionTimestamp || !hasSelector(svc) || svc.spec?.type === "ExternalName") return;
      const selector = selectorOf(svc);
      const pods = view.list(POD, namespace).filter((p) => selectorMatches(selector, p.metadata?.labels));
      const plan = planSlices(svc, desiredGroups(svc, pods, zoneReader()), managedSlices(svc));
      for (const slice of plan.create) {
        try {
          view.create(SLICE, slice);
        } catch (e) {
          if (isNamespaceTerminating(e)) return;
          throw e;
        }
      }
      for (const slice of plan.update) view.update(SLICE, slice);
      for (const slice of plan.remove) {
        try {
          view.delete(SLICE, namespace, slice.metadata.name);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    },
  };
}
