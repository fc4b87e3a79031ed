export interface HostsFileInput {
  readonly podIP: string;
  readonly hostname: string;
  readonly podFqdn?: string;
  /** The pod's hostAliases, in the order they are declared. */
  readonly hostAliases: readonly { readonly ip: string; readonly hostnames: readonly string[] }[];
}

/**
 * The pod's /etc/hosts: loopback names, the pod's own address under its FQDN (when it has one)
 * and hostname, then its host aliases. Container images may ship no /etc at all, so this is the
 * only hosts file a container sees.
 */
export function renderHostsFile(input: HostsFileInput): string {
  const ownNames = input.podFqdn ? [input.podFqdn, input.hostname] : [input.hostname];
  const lines = [
    "# This pod's hosts file, written by the node agent. Local edits are lost when the sandbox is remade.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
    `${input.podIP}\t${ownNames.join("\t")}`,
  ];
  const aliases = input.hostAliases.filter((entry) => entry.hostnames.length > 0);
  if (aliases.length > 0) {
    lines.push("", "# From the pod's hostAliases.");
    for (const entry of aliases) lines.push(`${entry.ip}\t${entry.hostnames.join("\t")}`);
  }
  return `${lines.join("\n")}\n`;
}
