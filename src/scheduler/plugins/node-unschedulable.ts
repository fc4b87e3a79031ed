/** NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating its taint. */
import { Code, status, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type Status } from "../framework";
import { tolerationsTolerateTaint } from "./taint-toleration";

type Obj = Record<string, any>;

export const name = "NodeUnschedulable";
export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";
export const TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

/** Whether `pod` may land on `node` as far as cordoning goes. */
export function schedulableFor(pod: Obj, node: Obj): boolean {
  if (!node.spec?.unschedulable) return true;
  return tolerationsTolerateTaint(pod.spec?.tolerations, { key: TAINT_NODE_UNSCHEDULABLE, effect: "NoSchedule" });
}

export function filter(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): Status | null {
  if (!nodeInfo.node) return status(Code.UnschedulableAndUnresolvable, name, "node(s) had unknown conditions");
  return schedulableFor(pod.pod, nodeInfo.node) ? null : status(Code.UnschedulableAndUnresolvable, name, ERR_REASON_UNSCHEDULABLE);
}

export function plugin(): FilterPlugin {
  return { name, filter };
}
