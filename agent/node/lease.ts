/**
 * The node's heartbeat: its Lease in kube-node-lease, renewed every 10 s. The node lifecycle
 * controller marks a node Unknown (and taints it unreachable) when its Lease is older than 40 s.
 */
import { ApiError } from "../api/api-error";
import { Backoff, pause } from "../api/backoff";
import type { ApiClient } from "../api/client";
import { rfc3339Micro, type Clock } from "../../src/lib/clock";

export const NODE_LEASE_NAMESPACE = "kube-node-lease";
/** How long the Lease vouches for the node, as a kubelet's. */
export const LEASE_DURATION_SECONDS = 40;

export interface LeaseRenewalOptions {
  client: Pick<ApiClient, "get" | "create" | "patch">;
  nodeName: string;
  /** Between renewals (default 10 s, a quarter of the lease). */
  intervalMs?: number;
  clock: Clock;
  /** A renewal failed (it is retried). */
  onError?: (err: unknown) => void;
  /** A renewal succeeded after failures: the server is back (a moment to re-post node status). */
  onRecovered?: () => void;
  /** Waiting between renewals (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the retry jitter (default Math.random). */
  random?: () => number;
}

export interface LeaseRenewal {
  stop(): Promise<void>;
}

const leasesPath = `/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`;

/**
 * Renews the node's Lease now and then every `intervalMs` until stopped; creates it when it is
 * missing, owned by the Node so it goes when the Node goes. Failed renewals are retried sooner,
 * with back-off that never waits longer than the interval.
 *
 * @example
 * const lease = startLeaseRenewal({ client, nodeName: "n1", clock: systemClock });
 * // ... on shutdown:
 * await lease.stop();
 */
export function startLeaseRenewal(opts: LeaseRenewalOptions): LeaseRenewal {
  const interval = opts.intervalMs ?? 10_000;
  const backoff = new Backoff({ initialMs: Math.min(1000, interval), maxMs: interval, random: opts.random });
  const abort = new AbortController();
  const name = opts.nodeName;
  const leasePath = `${leasesPath}/${encodeURIComponent(name)}`;
  /** Whether the Lease is known to exist with the Node as its owner. */
  let owned = false;

  const spec = () => ({ holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: rfc3339Micro(opts.clock.now()) });

  /** The Node's uid, or undefined while there is no Node (the Lease then goes without an owner). */
  async function nodeUid(): Promise<string | undefined> {
    try {
      return (await opts.client.get(`/api/v1/nodes/${encodeURIComponent(name)}`))?.metadata?.uid;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Renews, (re)setting the owner; creates the Lease when there is none. */
  async function renewAndOwn(): Promise<void> {
    const uid = await nodeUid();
    const ownerReferences = uid ? [{ apiVersion: "v1", kind: "Node", name, uid }] : undefined;
    try {
      await opts.client.patch(leasePath, { metadata: ownerReferences ? { ownerReferences } : {}, spec: spec() }, "merge");
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      await opts.client.create(leasesPath, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace: NODE_LEASE_NAMESPACE, ownerReferences }, spec: spec() });
    }
    owned = !!uid;
  }

  async function renew(): Promise<void> {
    if (!owned) return renewAndOwn();
    try {
      await opts.client.patch(leasePath, { spec: spec() }, "merge");
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      // Someone deleted it (or its Node, and the collector took it along).
      await renewAndOwn();
    }
  }

  /** Calls a caller's hook; a hook that throws must not end the heartbeat. */
  function hook(fn: (() => void) | undefined): void {
    try {
      fn?.();
    } catch {
      // the hook's own failure is not the heartbeat's
    }
  }

  async function loop(): Promise<void> {
    let failing = false;
    while (!abort.signal.aborted) {
      try {
        await renew();
        backoff.reset();
        if (failing) {
          failing = false;
          hook(opts.onRecovered);
        }
        await pause(interval, abort.signal, opts.sleep);
      } catch (e) {
        if (abort.signal.aborted) return;
        failing = true;
        hook(() => opts.onError?.(e));
        await pause(backoff.next(), abort.signal, opts.sleep);
      }
    }
  }

  const running = loop().catch((e) => hook(() => opts.onError?.(e)));
  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}
