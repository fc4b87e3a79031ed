import type { HttpClient, HttpResponse } from "./http-client";
import type { Operation } from "./load";
import type { WatchTarget } from "./watch-latency";

const APPLICATION_YAML = `server:
  port: 8080
  shutdown: graceful
  tomcat:
    threads:
      max: 200
      min-spare: 10
spring:
  datasource:
    url: jdbc:postgresql://checkout-db.storefront.svc.cluster.local:5432/checkout
    hikari:
      maximum-pool-size: 20
      connection-timeout: 3000
  cache:
    type: redis
  redis:
    host: checkout-cache.storefront.svc.cluster.local
    port: 6379
management:
  endpoints:
    web:
      exposure:
        include: health,info,prometheus
  metrics:
    tags:
      application: checkout
checkout:
  payment-gateway: https://payments.internal.example.com/v2
  currency: EUR
  tax-rules: /etc/checkout/tax-rules.json
  retry:
    attempts: 3
    backoff-ms: 250
  fraud-check:
    endpoint: http://fraud-scoring.risk.svc.cluster.local:9000/score
    timeout-ms: 400
    threshold: 0.85
`;

/**
 * A realistic ConfigMap of about 1.5 KB (Helm labels and annotations, an application.yaml),
 * with `extra` data keys on top.
 *
 * @example JSON.stringify(configMap("bench", "cm-1")).length // about 1,500
 */
export function configMap(namespace: string, name: string, extra: Record<string, string> = {}, resourceVersion?: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace,
      ...(resourceVersion ? { resourceVersion } : {}),
      labels: {
        "app.kubernetes.io/name": "checkout",
        "app.kubernetes.io/instance": "checkout-prod",
        "app.kubernetes.io/component": "api",
        "app.kubernetes.io/part-of": "storefront",
        "app.kubernetes.io/managed-by": "Helm",
        "helm.sh/chart": "checkout-4.12.1",
      },
      annotations: {
        "meta.helm.sh/release-name": "checkout",
        "meta.helm.sh/release-namespace": namespace,
        "checksum/config": "5f1c0b7e2a9d4c8e6b3a1f0d9e8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c",
      },
    },
    data: {
      "application.yaml": APPLICATION_YAML,
      "log-level": "info",
      "feature-flags": "new-cart=true,one-click=false,express-shipping=true",
      ...extra,
    },
  };
}

/** The collection path of ConfigMaps in a namespace. */
export function collectionPath(namespace: string): string {
  return `/api/v1/namespaces/${namespace}/configmaps`;
}

/** Creates a namespace (an existing one is fine). */
export async function ensureNamespace(client: HttpClient, name: string): Promise<void> {
  const res = await client.send("POST", "/api/v1/namespaces", JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }));
  if (res.status !== 201 && res.status !== 409) throw new Error(`creating namespace ${name}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
}

/** The resourceVersion in an object's or list's JSON, read without parsing the whole body. */
export function resourceVersionOf(json: string): string | undefined {
  return /"resourceVersion":"(\d+)"/.exec(json)?.[1];
}

/**
 * The ConfigMaps a run has created and their last known resourceVersions, shared by the get,
 * list and update operations.
 */
export class ConfigMapSet {
  readonly names: string[] = [];
  private readonly versions = new Map<string, string>();
  private readonly stale = new Set<string>();
  private created = 0;

  constructor(readonly namespace: string) {}

  /** POST a new ConfigMap, remembering its name and version. */
  readonly create: Operation = async (client) => {
    const name = `cm-${String(++this.created).padStart(6, "0")}`;
    const res = await client.send("POST", collectionPath(this.namespace), JSON.stringify(configMap(this.namespace, name)));
    if (res.status === 201) this.remember(name, res);
    return res;
  };

  /** GET one ConfigMap by name, cycling through those created. */
  readonly get: Operation = (client, seq) => client.send("GET", `${collectionPath(this.namespace)}/${this.names[seq % this.names.length]}`);

  /** GET the first page (limit=100) of the namespace's ConfigMaps. */
  readonly list: Operation = (client) => client.send("GET", `${collectionPath(this.namespace)}?limit=100`);

  /**
   * PUT a changed ConfigMap carrying the resourceVersion last seen. The first `poolSize` objects
   * are cycled through, so concurrent workers rarely touch the same one; after a 409 the object
   * is re-read (inside the next request's time) before it is written again.
   */
  update(poolSize: number): Operation {
    return async (client, seq) => {
      const name = this.names[seq % Math.min(poolSize, this.names.length)];
      if (this.stale.has(name)) await this.refresh(client, name);
      const body = configMap(this.namespace, name, { revision: String(seq) }, this.versions.get(name));
      const res = await client.send("PUT", `${collectionPath(this.namespace)}/${name}`, JSON.stringify(body));
      if (res.status === 200) this.remember(name, res);
      else if (res.status === 409) this.stale.add(name);
      return res;
    };
  }

  private async refresh(client: HttpClient, name: string): Promise<void> {
    const res = await client.send("GET", `${collectionPath(this.namespace)}/${name}`);
    if (res.status === 200) this.remember(name, res);
  }

  private remember(name: string, res: HttpResponse): void {
    if (!this.versions.has(name)) this.names.push(name);
    const rv = resourceVersionOf(res.body);
    if (rv) this.versions.set(name, rv);
    this.stale.delete(name);
  }
}

/** Distinguishes the objects of successive watch runs in one namespace. */
let watchRuns = 0;

/**
 * Watches a namespace's ConfigMaps from its list's resourceVersion; each write creates a
 * ConfigMap with the send time in `data.sentAt`.
 */
export function configMapWatchTarget(namespace: string): WatchTarget {
  const run = ++watchRuns;
  const coll = collectionPath(namespace);
  return {
    async watchPath(client) {
      const listed = await client.send("GET", `${coll}?limit=1`);
      const rv = resourceVersionOf(listed.body);
      if (listed.status !== 200 || !rv) throw new Error(`list before watch: HTTP ${listed.status}`);
      return `${coll}?watch=true&resourceVersion=${rv}`;
    },
    write: (i, sentAt) => ({ path: coll, body: JSON.stringify(configMap(namespace, `watched-${run}-${i}`, { sentAt })) }),
  };
}
