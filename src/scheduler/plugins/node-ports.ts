/** NodePorts: a pod's host ports must be free on the node (0.0.0.0 conflicts with every address). */
import { Code, portKey, status, type CycleState, type FilterPlugin, type HostPort, type NodeInfo, type PodInfo, type Status } from "../framework";

export const name = "NodePorts";
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

/** Whether `hp` collides with a port in use (`used` holds "ip/protocol/port" keys). */
export function conflicts(hp: HostPort, used: ReadonlyMap<string, number> | ReadonlySet<string>): boolean {
  if (used.size === 0) return false;
  if (hp.ip === "0.0.0.0") {
    const suffix = `/${hp.protocol}/${hp.port}`;
    for (const k of used.keys()) if (k.endsWith(suffix)) return true;
    return false;
  }
  return used.has(portKey(hp)) || used.has(portKey({ ...hp, ip: "0.0.0.0" }));
}

export function fits(ports: readonly HostPort[], nodeInfo: NodeInfo): boolean {
  return ports.every((hp) => !conflicts(hp, nodeInfo.usedPorts));
}

export function filter(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): Status | null {
  if (!pod.hostPorts.length) return null;
  return fits(pod.hostPorts, nodeInfo) ? null : status(Code.Unschedulable, name, ERR_REASON);
}

export function plugin(): FilterPlugin {
  return { name, filter };
}
