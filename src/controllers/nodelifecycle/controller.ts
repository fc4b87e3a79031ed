import { StatusError } from "../../api/status";
import { findResource } from "../../resources/registry";
import type { Controller } from "../controller";
import type { ClusterView } from "../view";
import { evictionTime, lifecycleTaints, withLifecycleTaints } from "./taints";

type Obj = Record<string, any>;

export const NODE_LIFECYCLE_CONTROLLER = "nodelifecycle";

export interface NodeLifecycleOptions {
  /** How long a node may go without renewing its Lease before it is Unknown (upstream: 40 s). */
  gracePeriodMs?: number;
  recordEvent?: (obj: Obj, type: "Normal" | "Warning", reason: string, message: string) => void;
}

const NODE = findResource("", "v1", "nodes")!;
const LEASE = findResource("coordination.k8s.io", "v1", "leases")!;
const POD = findResource("", "v1", "pods")!;

function readyStatus(node: Obj): "True" | "False" | "Unknown" {
  const c = (node.status?.conditions ?? []).find((x: Obj) => x.type === "Ready");
  return c?.status === "True" || c?.status === "False" ? c.status : "Unknown";
}

/**
 * Watches node heartbeats (Leases in kube-node-lease): a node whose lease is older than the
 * grace period goes Ready=Unknown, and every node's Ready state is mirrored in the
 * unreachable/not-ready NoSchedule and NoExecute taints. Pods that do not tolerate a NoExecute
 * taint are evicted once their tolerationSeconds run out. The next lease expiry and the next
 * eviction are real deadlines, so the reconcile requeues for exactly then.
 */
export function nodeLifecycleController(view: ClusterView, opts: NodeLifecycleOptions = {}): Controller {
  const grace = opts.gracePeriodMs ?? 40_000;

  /** Marks a node whose heartbeat stopped: every condition Unknown, as upstream does. */
  function markUnknown(node: Obj): Obj {
    const ts = view.timestamp();
    const conditions = (node.status?.conditions ?? []).map((c: Obj) =>
      c.status === "Unknown" ? c : { ...c, status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: ts },
    );
    if (!conditions.some((c: Obj) => c.type === "Ready")) {
      conditions.push({ type: "Ready", status: "Unknown", reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status.", lastHeartbeatTime: ts, lastTransitionTime: ts });
    }
    return view.updateStatus(NODE, { ...node, status: { ...node.status, conditions } });
  }

  function evictPods(node: Obj, now: number): number | undefined {
    const taints: Obj[] = node.spec?.taints ?? [];
    if (!taints.some((t) => t.effect === "NoExecute")) return undefined;
    let next: number | undefined;
    for (const pod of view.list(POD, undefined).filter((p) => p.spec?.nodeName === node.metadata.name && !p.metadata.deletionTimestamp)) {
      const at = evictionTime(pod, taints, now);
      if (at === undefined) continue;
      if (at <= now) {
        opts.recordEvent?.(pod, "Normal", "TaintManagerEviction", `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
        try {
          view.delete(POD, pod.metadata.namespace, pod.metadata.name);
        } catch (e) {
          if (!(e instanceof StatusError && e.code === 404)) throw e;
        }
      } else next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  return {
    name: NODE_LIFECYCLE_CONTROLLER,
    keysFor(change) {
      if (change.rt === NODE && !change.deleted) return [change.obj.metadata.name];
      if (change.rt === LEASE && change.obj.metadata?.namespace === "kube-node-lease" && !change.deleted) return [change.obj.metadata.name];
      // A pod bound to a tainted node may have to go.
      if (change.rt === POD && change.created && change.obj.spec?.nodeName) return [change.obj.spec.nodeName];
      if (change.rt === POD && !change.deleted && change.obj.spec?.nodeName && !change.old?.spec?.nodeName) return [change.obj.spec.nodeName];
      return [];
    },
    reconcile(name) {
      let node = view.get(NODE, "", name);
      if (!node) return;
      const now = view.now();
      const lease = view.get(LEASE, "kube-node-lease", name);
      const renewed = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : Date.parse(node.metadata.creationTimestamp);
      const expires = renewed + grace;
      if (now >= expires && readyStatus(node) !== "Unknown") {
        node = markUnknown(node);
        opts.recordEvent?.(node, "Normal", "NodeNotReady", `Node ${name} status is now: NodeNotReady`);
      }
      const wanted = lifecycleTaints(readyStatus(node));
      const taints = withLifecycleTaints(node.spec?.taints ?? [], wanted, view.timestamp());
      if (JSON.stringify(taints) !== JSON.stringify(node.spec?.taints ?? [])) {
        node = view.update(NODE, { ...node, spec: { ...node.spec, taints: taints.length ? taints : undefined } });
      }
      const nextEviction = evictPods(node, now);
      const deadlines = [nextEviction, now < expires ? expires : undefined].filter((t): t is number => t !== undefined);
      return deadlines.length ? { requeueAfterMs: Math.max(0, Math.min(...deadlines) - now) } : undefined;
    },
  };
}
