/**
 * A catalog filled by hand: what tests (and anything without an API server) give to the node
 * proxy, pod routes or cluster DNS. Always synced; `set` replaces parts of it and notifies.
 */
import type { CatalogNode, EndpointEntry, ServiceCatalog, ServiceEntry } from "./catalog";
import { ChangeNotifier } from "./change-notifier";
import { serviceKey } from "./catalog-objects";

export interface CatalogUpdate {
  /** Replaces every service. */
  services?: ServiceEntry[];
  /** Replaces every service's endpoints; keys are "namespace/name". */
  endpoints?: Record<string, EndpointEntry[]>;
  /** Replaces every node. */
  nodes?: CatalogNode[];
}

export interface StaticCatalog extends ServiceCatalog {
  set(update: CatalogUpdate): void;
}

/**
 * @example
 * const catalog = staticCatalog([web], { "default/web": [{ addresses: ["10.244.1.5"], ready: true, serving: true, terminating: false, ports: [{ port: 8080, protocol: "TCP" }] }]);
 * catalog.set({ endpoints: { "default/web": [] } });
 */
export function staticCatalog(services: ServiceEntry[], endpoints: Record<string, EndpointEntry[]>, nodes: CatalogNode[] = []): StaticCatalog {
  const notifier = new ChangeNotifier();
  let state = { services: [...services], endpoints: { ...endpoints }, nodes: [...nodes] };
  return {
    services: () => [...state.services],
    service: (namespace, name) => state.services.find((s) => s.namespace === namespace && s.name === name),
    endpoints: (namespace, name) => [...(state.endpoints[serviceKey(namespace, name)] ?? [])],
    nodes: () => [...state.nodes],
    onChange: (listener) => notifier.subscribe(listener),
    synced: true,
    nodesSynced: true,
    set(update) {
      state = {
        services: update.services ? [...update.services] : state.services,
        endpoints: update.endpoints ? { ...update.endpoints } : state.endpoints,
        nodes: update.nodes ? [...update.nodes] : state.nodes,
      };
      notifier.notify();
    },
  };
}
