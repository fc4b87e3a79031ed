/**
 * The node's view of the cluster's Services, their endpoints (merged from EndpointSlices) and the
 * Nodes, in the shapes the node proxy, pod routes and cluster DNS need. `startServiceCatalog`
 * keeps it from the API server with three cluster-wide informers; `staticCatalog` is a
 * hand-filled one for tests.
 */
import type { ApiClient } from "../api/client";
import type { Clock } from "../../src/lib/clock";
import { ChangeNotifier } from "./change-notifier";
import { catalogNode, endpointEntries, serviceEntry, serviceKey, sliceServiceKey } from "./catalog-objects";
import { ResourceInformer, objectKey, type KubeObject } from "../api/resource-informer";

export { staticCatalog, type CatalogUpdate, type StaticCatalog } from "./static-catalog";

/** A port of a service, with the API's defaults applied (protocol TCP, targetPort = port). */
export interface ServicePort {
  name?: string;
  port: number;
  protocol: "TCP" | "UDP" | "SCTP";
  targetPort: number | string;
  nodePort?: number;
}

export interface ServiceEntry {
  namespace: string;
  name: string;
  /** ClusterIP, NodePort, LoadBalancer or ExternalName. */
  type: string;
  /** The allocated cluster IPs (empty for headless and ExternalName services). */
  clusterIPs: string[];
  /** clusterIP: None. */
  headless: boolean;
  externalName?: string;
  ports: ServicePort[];
  sessionAffinity: "None" | "ClientIP";
  affinityTimeoutSeconds: number;
  /** The IPs of status.loadBalancer.ingress. */
  loadBalancerIPs: string[];
  externalIPs: string[];
  externalTrafficPolicy?: string;
  internalTrafficPolicy?: string;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
}

/** One endpoint of an EndpointSlice, with its slice's ports; conditions already defaulted. */
export interface EndpointEntry {
  addresses: string[];
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  hostname?: string;
  ports: EndpointPort[];
}

export interface CatalogNode {
  name: string;
  podCIDR?: string;
  internalIP?: string;
  /** The Ready condition is True. */
  ready: boolean;
}

/** What the proxy, pod routes and cluster DNS read; every answer is a copy they may keep. */
export interface ServiceCatalog {
  services(): ServiceEntry[];
  service(namespace: string, name: string): ServiceEntry | undefined;
  /** Every endpoint of the service, merged over all of its EndpointSlices. */
  endpoints(namespace: string, name: string): EndpointEntry[];
  nodes(): CatalogNode[];
  /** Calls `listener` after any change, once per burst of changes; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
  /** Services and EndpointSlices have been listed completely at least once. */
  readonly synced: boolean;
  /** Nodes have been listed completely at least once (unset: treat as `synced`). */
  readonly nodesSynced?: boolean;
}

export interface ServiceCatalogOptions {
  client: Pick<ApiClient, "get" | "watch">;
  /** A number in [0, 1) for the back-off's jitter (default Math.random). */
  random?: () => number;
  /** Waiting between attempts (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Failures the informers recover from (a 403 on nodes keeps being retried and reported here). */
  onError?: (e: unknown) => void;
  /** How long the server keeps each watch open (default 300 s). */
  timeoutSeconds?: number;
  clock?: Clock;
}

/** The cluster-wide collections the catalog lists and watches. */
export const SERVICES_PATH = "/api/v1/services";
export const ENDPOINT_SLICES_PATH = "/apis/discovery.k8s.io/v1/endpointslices";
export const NODES_PATH = "/api/v1/nodes";

/**
 * @example
 * const catalog = startServiceCatalog({ client, onError: (e) => log(String(e)) });
 * catalog.onChange(() => console.log(catalog.services().length));
 * // ... later
 * await catalog.stop();
 */
export function startServiceCatalog(opts: ServiceCatalogOptions): ServiceCatalog & { stop(): Promise<void> } {
  const notifier = new ChangeNotifier(opts.onError);
  const services = new Map<string, ServiceEntry>();
  /** slice key → the service it belongs to and its endpoints */
  const slices = new Map<string, { service: string; entries: EndpointEntry[] }>();
  const slicesByService = new Map<string, Set<string>>();
  const nodes = new Map<string, CatalogNode>();

  const dropSlice = (key: string) => {
    const old = slices.get(key);
    if (!old) return;
    slices.delete(key);
    const set = slicesByService.get(old.service);
    set?.delete(key);
    if (set?.size === 0) slicesByService.delete(old.service);
  };

  const common = { client: opts.client, random: opts.random, sleep: opts.sleep, onError: opts.onError, timeoutSeconds: opts.timeoutSeconds, clock: opts.clock };
  const changed = () => notifier.notify();

  const serviceInformer = new ResourceInformer({
    ...common,
    path: SERVICES_PATH,
    handlers: {
      onUpsert: (obj) => {
        const entry = serviceEntry(obj);
        if (entry) services.set(serviceKey(entry.namespace, entry.name), entry);
        changed();
      },
      onDelete: (obj) => {
        const key = objectKey(obj);
        if (key) services.delete(key);
        changed();
      },
      onSynced: changed,
    },
  });

  const sliceInformer = new ResourceInformer({
    ...common,
    path: ENDPOINT_SLICES_PATH,
    handlers: {
      onUpsert: (obj: KubeObject) => {
        const key = objectKey(obj);
        if (!key) return;
        dropSlice(key);
        const service = sliceServiceKey(obj);
        if (service) {
          slices.set(key, { service, entries: endpointEntries(obj) });
          let set = slicesByService.get(service);
          if (!set) slicesByService.set(service, (set = new Set()));
          set.add(key);
        }
        changed();
      },
      onDelete: (obj) => {
        const key = objectKey(obj);
        if (key) dropSlice(key);
        changed();
      },
      onSynced: changed,
    },
  });

  const nodeInformer = new ResourceInformer({
    ...common,
    path: NODES_PATH,
    handlers: {
      onUpsert: (obj) => {
        const node = catalogNode(obj);
        if (node) nodes.set(node.name, node);
        changed();
      },
      onDelete: (obj) => {
        const name = obj?.metadata?.name;
        if (typeof name === "string") nodes.delete(name);
        changed();
      },
      onSynced: changed,
    },
  });

  const informers = [serviceInformer, sliceInformer, nodeInformer];
  for (const informer of informers) informer.start();

  return {
    services: () => [...services.values()],
    service: (namespace, name) => services.get(serviceKey(namespace, name)),
    endpoints: (namespace, name) => {
      const keys = [...(slicesByService.get(serviceKey(namespace, name)) ?? [])].sort();
      return keys.flatMap((k) => slices.get(k)?.entries ?? []);
    },
    nodes: () => [...nodes.values()],
    onChange: (listener) => notifier.subscribe(listener),
    get synced() {
      return serviceInformer.synced && sliceInformer.synced;
    },
    get nodesSynced() {
      return nodeInformer.synced;
    },
    async stop() {
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
