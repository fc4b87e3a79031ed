/**
 * The Endpoints controller (upstream pkg/controller/endpoint): the legacy core/v1 Endpoints
 * object of each Service with a selector, named like the Service. `kubectl get endpoints` and
 * `kubectl describe service` read it. Unlike EndpointSlices it is not owned by the Service, so
 * the controller deletes it when the Service goes.
 */
import { StatusError } from "../../api/status";
import { jsonEqual } from "../../resources/kinds/shape";
import { findResource } from "../../resources/registry";
import { keyOf, splitKey, type Change, type Controller } from "../controller";
import { hasSelector, isNamespaceTerminating, selectorMatches, selectorOf } from "../endpointslice/pod-endpoints";
import { ServiceSelectorIndex } from "../endpointslice/service-index";
import type { ClusterView } from "../view";
import { endpointsSubsets } from "./subsets";

type Obj = Record<string, any>;

export const ENDPOINTS_CONTROLLER = "endpoints";

const SVC = findResource("", "v1", "services")!;
const POD = findResource("", "v1", "pods")!;
const EP = findResource("", "v1", "endpoints")!;
const OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";
const LABEL_HEADLESS = "service.kubernetes.io/headless";

function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}

function labelsFor(svc: Obj): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === "None") labels[LABEL_HEADLESS] = "";
  else delete labels[LABEL_HEADLESS];
  return labels;
}

/** The Endpoints object as the service and its pods say it should be, over the current one (if any). */
function desiredEndpoints(svc: Obj, pods: readonly Obj[], current: Obj | undefined): Obj {
  const { subsets, truncated } = endpointsSubsets(svc, pods);
  const annotations: Record<string, string> = { ...(current?.metadata?.annotations ?? {}) };
  if (truncated) annotations[OVER_CAPACITY] = "truncated";
  else delete annotations[OVER_CAPACITY];
  const meta: Obj = { ...(current?.metadata ?? { name: svc.metadata.name, namespace: svc.metadata.namespace }), labels: labelsFor(svc) };
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
  const ep: Obj = { ...(current ?? {}), apiVersion: "v1", kind: "Endpoints", metadata: meta };
  if (subsets.length) ep.subsets = subsets;
  else delete ep.subsets;
  return ep;
}

function unchanged(a: Obj, b: Obj): boolean {
  return jsonEqual(a.subsets ?? [], b.subsets ?? []) && jsonEqual(a.metadata?.labels ?? {}, b.metadata?.labels ?? {}) && jsonEqual(a.metadata?.annotations ?? {}, b.metadata?.annotations ?? {});
}

/**
 * @example runtime.register(endpointsController(view))
 */
export function endpointsController(view: ClusterView): Controller {
  const index = new ServiceSelectorIndex(view);
  return {
    name: ENDPOINTS_CONTROLLER,

    keysFor(change: Change): string[] {
      const { rt } = change;
      if (rt === SVC) {
        index.invalidate(change.obj.metadata?.namespace ?? "");
        return [keyOf(change.obj)];
      }
      if (rt === POD) return index.keysForPod(change);
      // A deleted Endpoints object comes back if its Service selects pods (upstream watches deletions only).
      if (rt === EP && change.deleted) return [keyOf(change.obj)];
      return [];
    },

    reconcile(key: string): void {
      const { namespace, name } = splitKey(key);
      const svc = view.get(SVC, namespace, name);
      if (!svc) {
        try {
          view.delete(EP, namespace, name);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        return;
      }
      if (svc.metadata.deletionTimestamp || !hasSelector(svc) || svc.spec?.type === "ExternalName") return;
      const selector = selectorOf(svc);
      const pods = view.list(POD, namespace).filter((p) => selectorMatches(selector, p.metadata?.labels));
      const current = view.get(EP, namespace, name);
      const next = desiredEndpoints(svc, pods, current);
      if (current) {
        if (!unchanged(current, next)) view.update(EP, next);
        return;
      }
      try {
        view.create(EP, next);
      } catch (e) {
        if (!isNamespaceTerminating(e)) throw e;
      }
    },
  };
}
