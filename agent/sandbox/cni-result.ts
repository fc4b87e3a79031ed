import { parseIpv4 } from "./ipv4-cidr";

/** The parts of a CNI 1.0 result the agent reads; the rest is kept and passed on verbatim. */
export interface CniResult {
  readonly cniVersion: string;
  readonly interfaces?: readonly { readonly name: string; readonly mac?: string; readonly sandbox?: string }[];
  readonly ips?: readonly { readonly interface?: number; readonly address: string; readonly gateway?: string }[];
  readonly [key: string]: unknown;
}

/**
 * The pod's IPv4 address (without prefix length): the first IPv4 entry on an interface inside
 * the sandbox, or failing that the first IPv4 entry at all.
 */
export function podIPv4FromResult(result: CniResult): string | undefined {
  const v4 = (result.ips ?? [])
    .map((entry) => ({ entry, ip: entry.address.split("/")[0] ?? "" }))
    .filter(({ ip }) => parseIpv4(ip) !== undefined);
  const inSandbox = v4.find(({ entry }) => {
    const iface = entry.interface === undefined ? undefined : result.interfaces?.[entry.interface];
    return iface?.sandbox !== undefined && iface.sandbox !== "";
  });
  return (inSandbox ?? v4[0])?.ip;
}
