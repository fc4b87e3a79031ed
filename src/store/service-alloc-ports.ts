/**
 * Node port choices for one Service write, after upstream's initNodePorts / updateNodePorts:
 * requested ports must be in range and free, missing ones are allocated, and ports that share a
 * number across protocols (53/TCP and 53/UDP) share one node port.
 */
import { errors } from "../api/status";
import { invalid } from "../resources/kinds/field-errors";
import { needsHealthCheckNodePort, needsNodePorts, nodePortsOf } from "../resources/kinds/service";
import type { Interval } from "./service-alloc-range";

type Obj = Record<string, any>;

/** What the planning needs from the allocation table, scoped to one write. */
export interface NodePortPlanner {
  readonly range: Interval;
  /** The Service being written, as "namespace/name". */
  readonly owner: string;
  /** Who holds a port; ports this write took already count as the owner's. */
  holder(port: number): string | undefined;
  /** Marks a requested port as this write's. */
  take(port: number): void;
  /** A free port, now this write's; undefined when the range is full. */
  next(): number | undefined;
}

function rangeText(r: Interval): string {
  return `${r.min}-${r.max}`;
}

/** Why `port` cannot be had, in upstream's words, or undefined when it can. */
function unavailable(planner: NodePortPlanner, port: number, heldByOwnerIsFine: boolean): string | undefined {
  const r = planner.range;
  if (port < r.min || port > r.max) return `provided port is not in the valid range. The range of valid ports is ${rangeText(r)}`;
  const holder = planner.holder(port);
  if (holder !== undefined && !(heldByOwnerIsFine && holder === planner.owner)) return "provided port is already allocated";
  return undefined;
}

function refuse(svc: Obj, field: string, value: number, detail: string): never {
  throw errors.invalid("Service", "", svc.metadata?.name ?? "", [invalid(field, value, detail)]);
}

function nodePortOf(p: Obj): number {
  return typeof p.nodePort === "number" ? p.nodePort : 0;
}

/**
 * Fills and checks `spec.ports[].nodePort` of a NodePort or LoadBalancer service in place.
 * `old` is the stored object on an update: node ports it held already need no check.
 * A LoadBalancer with `allocateLoadBalancerNodePorts: false` gets only the ports it asks for.
 */
export function planNodePorts(svc: Obj, old: Obj | undefined, planner: NodePortPlanner): void {
  const spec = svc.spec;
  const ports: Obj[] = spec.ports ?? [];
  const allocateMissing = !(spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts === false);
  const held = new Set(old && needsNodePorts(old) ? nodePortsOf(old) : []);
  const byServicePort = new Map<number, number>();
  ports.forEach((p, i) => {
    const np = nodePortOf(p);
    if (np === 0) return;
    if (!held.has(np)) {
      const why = unavailable(planner, np, true);
      if (why) refuse(svc, `spec.ports[${i}].nodePort`, np, why);
      planner.take(np);
    }
    if (!byServicePort.has(p.port)) byServicePort.set(p.port, np);
  });
  for (const p of ports) {
    if (nodePortOf(p) !== 0 || !allocateMissing) continue;
    let np = byServicePort.get(p.port);
    if (np === undefined) {
      np = planner.next();
      if (np === undefined) throw errors.internal("failed to allocate a nodePort: range is full");
      byServicePort.set(p.port, np);
    }
    p.nodePort = np;
  }
}

/**
 * Fills and checks `spec.healthCheckNodePort` of a LoadBalancer with externalTrafficPolicy
 * Local. Upstream answers a taken or out-of-range request with an internal error, and refuses
 * to change the port of a service that had one.
 */
export function planHealthCheckNodePort(svc: Obj, old: Obj | undefined, planner: NodePortPlanner): void {
  const spec = svc.spec;
  const requested = typeof spec.healthCheckNodePort === "number" ? spec.healthCheckNodePort : 0;
  if (old && needsHealthCheckNodePort(old)) {
    const prev = old.spec?.healthCheckNodePort ?? 0;
    if (requested === 0) spec.healthCheckNodePort = prev;
    else if (requested !== prev) {
      refuse(svc, "spec.healthCheckNodePort", requested, "cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update");
    }
    return;
  }
  if (requested !== 0) {
    const why = unavailable(planner, requested, false);
    if (why) throw errors.internal(`failed to allocate requested HealthCheck NodePort ${requested}: ${why}`);
    planner.take(requested);
    return;
  }
  const np = planner.next();
  if (np === undefined) throw errors.internal("failed to allocate a HealthCheck NodePort 0: range is full");
  spec.healthCheckNodePort = np;
}
