interface Env {
  CLUSTER: DurableObjectNamespace<import("./store/cluster-store").ClusterStore>;
  CLUSTER_NAME?: string;
  /** Hex SHA-256 of the admin bearer token (a secret on Cloudflare, generated locally). */
  ADMIN_TOKEN_SHA256?: string;
  /** The private ES256 JWK (JSON) that signs service-account and node tokens. */
  SIGNING_KEY?: string;
  /** How long a node may go without a heartbeat before it is marked Unknown (default 40). */
  NODE_MONITOR_GRACE_SECONDS?: string;
}

declare namespace Cloudflare {
  interface Env {
    CLUSTER: DurableObjectNamespace<import("./store/cluster-store").ClusterStore>;
    CLUSTER_NAME?: string;
    ADMIN_TOKEN_SHA256?: string;
    SIGNING_KEY?: string;
    NODE_MONITOR_GRACE_SECONDS?: string;
  }
}
