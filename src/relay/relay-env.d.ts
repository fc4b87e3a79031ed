// The relay's binding, merged into the Worker's environment.
interface Env {
  /** One NodeRelay per node, named "<cluster>/<node>". */
  RELAY: DurableObjectNamespace<import("./node-relay").NodeRelay>;
}

declare namespace Cloudflare {
  interface Env {
    RELAY: DurableObjectNamespace<import("./node-relay").NodeRelay>;
  }
}
