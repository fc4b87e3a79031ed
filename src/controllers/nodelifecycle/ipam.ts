import { findResource } from "../../resources/registry";
import type { Controller } from "../controller";
import type { ClusterView } from "../view";

export const NODE_IPAM_CONTROLLER = "nodeipam";

export interface NodeIpamOptions {
  /** The cluster CIDR pod ranges come from (default 10.244.0.0/16). */
  clusterCidr?: string;
  /** The prefix length of each node's range (default 24). */
  nodeMaskSize?: number;
  recordEvent?: (obj: Record<string, any>, type: "Normal" | "Warning", reason: string, message: string) => void;
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** The i-th subnet of size /mask inside cidr, or undefined past the end. */
export function nthSubnet(cidr: string, mask: number, i: number): string | undefined {
  const [base, bits] = cidr.split("/");
  const count = 2 ** (mask - Number(bits));
  if (i >= count) return undefined;
  return `${intToIp(ipToInt(base) + i * 2 ** (32 - mask))}/${mask}`;
}

/** Gives each node without one a `spec.podCIDR` from the cluster CIDR (upstream's range allocator). */
export function nodeIpamController(view: ClusterView, opts: NodeIpamOptions = {}): Controller {
  const NODE = findResource("", "v1", "nodes")!;
  const cidr = opts.clusterCidr ?? "10.244.0.0/16";
  const mask = opts.nodeMaskSize ?? 24;
  return {
    name: NODE_IPAM_CONTROLLER,
    keysFor: (change) => (change.rt === NODE && !change.deleted && !change.obj.spec?.podCIDR ? [change.obj.metadata.name] : []),
    reconcile(name) {
      const node = view.get(NODE, "", name);
      if (!node || node.spec?.podCIDR) return;
      const used = new Set(view.list(NODE, undefined).map((n) => n.spec?.podCIDR).filter(Boolean));
      for (let i = 0; ; i++) {
        const subnet = nthSubnet(cidr, mask, i);
        if (!subnet) {
          // Upstream reports CIDRNotAvailable and waits for the node to change; retrying on a
          // timer would only spin, since a range frees up only when another node goes.
          opts.recordEvent?.(node, "Normal", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable`);
          return;
        }
        if (used.has(subnet)) continue;
        view.update(NODE, { ...node, spec: { ...node.spec, podCIDR: subnet, podCIDRs: [subnet] } });
        return;
      }
    },
  };
}
