/**
 * What an update of a Service keeps from the stored object before allocation runs (upstream's
 * PrepareForUpdate and patchAllocatedValues): a client that replaces a Service without its
 * allocated cluster IP or node ports keeps them, as `kubectl replace` and `apply` expect.
 */
import { errors } from "../api/status";
import { immutable } from "../resources/kinds/field-errors";
import { dropTypeDependentFields, needsClusterIP, needsHealthCheckNodePort, needsNodePorts, nodePortsOf } from "../resources/kinds/service";

type Obj = Record<string, any>;

/**
 * Wipes fields a type change made meaningless and refuses a changed cluster IP. The API checked
 * both against the object it read; this repeats them against the object actually stored.
 */
export function prepareServiceUpdate(next: Obj, old: Obj): void {
  dropTypeDependentFields(next, old);
  const ip: string = next.spec?.clusterIP ?? "";
  const prev: string = old.spec?.clusterIP ?? "";
  if (needsClusterIP(old) && needsClusterIP(next) && ip && prev && ip !== prev) {
    throw errors.invalid("Service", "", next.metadata?.name ?? "", [immutable("spec.clusterIPs[0]", ip)]);
  }
}

/**
 * Copies allocated values the update left out: the cluster IP, node ports matched by port name
 * (unless the new ports use that number already) and the health check node port.
 */
export function patchAllocatedValues(next: Obj, old: Obj): void {
  const spec = (next.spec ??= {});
  const oldSpec = old.spec ?? {};
  if (needsClusterIP(old) && needsClusterIP(next)) {
    if (!spec.clusterIP && oldSpec.clusterIP) spec.clusterIP = oldSpec.clusterIP;
    if (!(spec.clusterIPs ?? []).length && (oldSpec.clusterIPs ?? []).length) spec.clusterIPs = [...oldSpec.clusterIPs];
  }
  if (needsNodePorts(old) && needsNodePorts(next)) {
    const kept = new Set(nodePortsOf(next));
    const byName = new Map<string, number>();
    for (const p of oldSpec.ports ?? []) if (p.nodePort) byName.set(p.name ?? "", p.nodePort);
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const prev = byName.get(p.name ?? "");
      if (prev && !kept.has(prev)) {
        p.nodePort = prev;
        kept.add(prev);
      }
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(next) && !spec.healthCheckNodePort && oldSpec.healthCheckNodePort) {
    spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}
