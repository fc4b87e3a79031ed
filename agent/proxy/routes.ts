/**
 * Routes to the other nodes' pod networks: `ip route replace <podCIDR> via <InternalIP>` for
 * every other Ready node, kept in step with the catalog's nodes.
 *
 * Limits: this is plain routing, no encapsulation. It works when the nodes share an L2 segment
 * (each node's InternalIP is directly reachable); it does not cross routers that do not know
 * the pod networks, nor NAT. Nodes behind NAT or on other networks need an overlay, which this
 * does not provide.
 *
 * The routes carry a protocol tag of their own (`proto`), so the ones this machine's agents
 * added are found again after a restart and pruned when their node is gone. Agents sharing a
 * machine compute the same routes; on stop an agent leaves them in place while another Ready
 * node has the same InternalIP (a neighbour agent that still needs them).
 */
import { spawnRunner, type CommandRunner } from "../runtime/command";
import { runChecked } from "../sandbox/run-checked";
import type { ServiceCatalog } from "../services/catalog";
import { desiredPodRoutes, diffRoutes, parseRoutes, type PodRoute } from "./route-plan";

/** The routing protocol number our routes carry (an unassigned value of rtnetlink's 8-bit field). */
export const POD_ROUTE_PROTOCOL = 211;

export interface PodRoutesOptions {
  catalog: ServiceCatalog;
  nodeName: string;
  /** This node's InternalIP. */
  nodeIP: string;
  runner?: CommandRunner;
  /** The protocol tag of the routes (default 211). */
  protocol?: number;
  /** How long to wait after a catalog change for more changes (default 80 ms). */
  debounceMs?: number;
  log?: (line: string) => void;
}

export interface PodRoutes {
  /** Stops following the catalog and removes the routes (unless a neighbour agent still needs them). */
  stop(): Promise<void>;
  /** Brings the routes in line with the catalog now (once its nodes have synced). */
  syncNow(): Promise<void>;
  /** The routes as of the last sync. */
  readonly routes: readonly PodRoute[];
}

/**
 * @example
 * const routes = startPodRoutes({ catalog, nodeName: "n1", nodeIP: "192.0.2.2" });
 * // ... routes.routes → [{ cidr: "10.244.2.0/24", via: "192.0.2.3" }]
 * await routes.stop();
 */
export function startPodRoutes(opts: PodRoutesOptions): PodRoutes {
  const runner = opts.runner ?? spawnRunner;
  const proto = String(opts.protocol ?? POD_ROUTE_PROTOCOL);
  const log = opts.log ?? (() => undefined);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<void> = Promise.resolve();
  let routes: PodRoute[] = [];

  const ip = (args: string[]) => runChecked(runner, "ip", args);
  const current = async () => parseRoutes((await ip(["-4", "route", "show", "table", "main", "proto", proto])).stdout);
  const nodesSynced = () => opts.catalog.nodesSynced ?? opts.catalog.synced;

  async function apply(desired: PodRoute[]): Promise<void> {
    const changes = diffRoutes(await current(), desired);
    for (const r of changes.remove) {
      await ip(["-4", "route", "del", r.cidr, "via", r.via, "proto", proto]);
      log(`pod route ${r.cidr} via ${r.via} removed`);
    }
    for (const r of changes.replace) {
      await ip(["-4", "route", "replace", r.cidr, "via", r.via, "proto", proto]);
      log(`pod route ${r.cidr} via ${r.via} set`);
    }
    routes = desired;
  }

  async function syncOnce(): Promise<void> {
    if (stopped || !nodesSynced()) return;
    await apply(desiredPodRoutes(opts.catalog.nodes(), opts.nodeName, opts.nodeIP));
  }

  function enqueue(task: () => Promise<void>): Promise<void> {
    const run = queue.then(task);
    queue = run.catch((err: Error) => log(`pod routes: ${err.message}`));
    return run;
  }

  function schedule(): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      enqueue(syncOnce).catch(() => undefined);
    }, opts.debounceMs ?? 80);
  }

  const unsubscribe = opts.catalog.onChange(schedule);
  schedule();

  return {
    get routes() {
      return routes;
    },
    syncNow: () => enqueue(syncOnce),
    async stop() {
      stopped = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      timer = undefined;
      await queue;
      // Without the nodes there is no telling whether a neighbour agent still needs the routes.
      if (!nodesSynced()) return;
      const neighbour = opts.catalog.nodes().find((n) => n.name !== opts.nodeName && n.ready && n.internalIP === opts.nodeIP);
      if (neighbour) {
        log(`pod routes kept for ${neighbour.name}, which shares this machine`);
        return;
      }
      await enqueue(() => apply([]));
    },
  };
}
