import type { DnsSettings } from "./sandbox-spec";

/** The pod's /etc/resolv.conf; empty settings leave their line out. */
export function renderResolvConf(dns: DnsSettings): string {
  const lines = ["# This pod's resolver settings, written by the node agent."];
  for (const nameserver of dns.nameservers) lines.push(`nameserver ${nameserver}`);
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(" ")}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(" ")}`);
  return `${lines.join("\n")}\n`;
}
