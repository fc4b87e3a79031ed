/**
 * LoadBalancer Services the home-lab way (as k3s's ServiceLB does): there is no cloud load
 * balancer, so a LoadBalancer Service is reachable on its node ports at every node, and its
 * `status.loadBalancer.ingress` lists the InternalIPs of the Ready, schedulable nodes. With no
 * such node the status stays empty and kubectl shows <pending>.
 */
import { jsonEqual } from "../../resources/kinds/shape";
import { findResource } from "../../resources/registry";
import { keyOf, splitKey, type Change, type Controller } from "../controller";
import type { ClusterView } from "../view";

type Obj = Record<string, any>;

export const SERVICE_LB_CONTROLLER = "service-lb";

const SVC = findResource("", "v1", "services")!;
const NODE = findResource("", "v1", "nodes")!;
/** Nodes an administrator keeps out of load balancers (a well-known upstream label). */
const EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

function isLoadBalancer(svc: Obj | undefined): boolean {
  return svc?.spec?.type === "LoadBalancer";
}

function isReady(node: Obj): boolean {
  return (node.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True");
}

function internalIP(node: Obj): string | undefined {
  return (node.status?.addresses ?? []).find((a: Obj) => a.type === "InternalIP" && a.address)?.address;
}

/** A node serves load-balancer traffic when it is Ready, schedulable, not excluded and has an address. */
export function servingAddress(node: Obj): string | undefined {
  if (!isReady(node) || node.spec?.unschedulable || EXCLUDE_LABEL in (node.metadata?.labels ?? {})) return undefined;
  return internalIP(node);
}

function ipOrder(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The load-balancer status the nodes give a service: distinct addresses in address order. */
export function loadBalancerStatus(nodes: readonly Obj[]): Obj {
  const ips = [...new Set(nodes.map(servingAddress).filter((ip): ip is string => ip !== undefined))].sort(ipOrder);
  return ips.length ? { ingress: ips.map((ip) => ({ ip, ipMode: "VIP" })) } : {};
}

/**
 * @example runtime.register(serviceLoadBalancerController(view))
 */
export function serviceLoadBalancerController(view: ClusterView): Controller {
  /** Every LoadBalancer service this controller provides for, as keys. */
  function loadBalancerKeys(): string[] {
    return view.list(SVC, undefined).filter((s) => isLoadBalancer(s) && !s.spec?.loadBalancerClass).map(keyOf);
  }

  return {
    name: SERVICE_LB_CONTROLLER,

    keysFor(change: Change): string[] {
      if (change.rt === SVC) return !change.deleted && isLoadBalancer(change.obj) ? [keyOf(change.obj)] : [];
      if (change.rt !== NODE) return [];
      // Heartbeats rewrite node status all the time; only a change of what is served matters.
      if (!change.created && !change.deleted && servingAddress(change.obj) === servingAddress(change.old ?? {})) return [];
      return loadBalancerKeys();
    },

    reconcile(key: string): void {
      const { namespace, name } = splitKey(key);
      const svc = view.get(SVC, namespace, name);
      // Another implementation answers for a service with its own class.
      if (!svc || !isLoadBalancer(svc) || svc.spec?.loadBalancerClass || svc.metadata.deletionTimestamp) return;
      const want = loadBalancerStatus(view.list(NODE, undefined));
      if (jsonEqual(svc.status?.loadBalancer ?? {}, want)) return;
      view.updateStatus(SVC, { ...svc, status: { ...(svc.status ?? {}), loadBalancer: want } });
    },
  };
}
