/** NodeName: a pod that names its node fits only that node. */
import { Code, status, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type Status } from "../framework";

type Obj = Record<string, any>;

export const name = "NodeName";
export const ERR_REASON = "node(s) didn't match the requested node name";

export function fits(pod: Obj, node: Obj): boolean {
  const want = pod.spec?.nodeName;
  return !want || want === node.metadata?.name;
}

export function filter(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): Status | null {
  if (!nodeInfo.node) return status(Code.Error, name, "node not found");
  return fits(pod.pod, nodeInfo.node) ? null : status(Code.UnschedulableAndUnresolvable, name, ERR_REASON);
}

export function plugin(): FilterPlugin {
  return { name, filter };
}
