import { isIP } from "node:net";
import { assertValidSandboxId } from "./sandbox-names";

/** A pod's hostPort: traffic to hostIP:hostPort (any host address when hostIP is unset) goes to the pod. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp" | "sctp";
  hostIP?: string;
}

/** The pod's resolver settings, written to its resolv.conf as given. */
export interface DnsSettings {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** What a pod needs from its sandbox. */
export interface SandboxSpec {
  /** Stable per pod (the pod uid): letters, digits, "_", "." and "-", at most 64. */
  id: string;
  /** The pod's hostname (spec.hostname or the pod name), at most 63 characters. */
  hostname: string;
  /** spec.hostAliases; the pod's own line is added once its IP is known. */
  hostsEntries: { ip: string; hostnames: string[] }[];
  /** e.g. hostname.subdomain.ns.svc.cluster.local when the pod has a subdomain. */
  podFqdn?: string;
  dns: DnsSettings;
  portMappings: PortMapping[];
}

/** A ready sandbox: the paths containers join and mount. */
export interface SandboxInfo {
  id: string;
  ip: string;
  netnsPath: string;
  utsPath: string;
  hostsPath: string;
  resolvPath: string;
  /**
   * True when this call made the sandbox anew (first time, or after a broken one was torn down):
   * containers still running in an earlier sandbox of the same id are in a namespace that is gone
   * and must be restarted.
   */
  created?: boolean;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,61}[A-Za-z0-9])?$/;
const DOMAIN_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
// Anything a resolver or hosts-file parser would split on, or that would start a new line.
const SEPARATORS = /[\s#;\x00-\x1f\x7f]/;
const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

function isPort(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}

function isWord(value: string): boolean {
  return value.length > 0 && !SEPARATORS.test(value);
}

/**
 * Rejects a spec whose values could not be written safely into hosts/resolv.conf or handed to
 * the CNI plugins. The API server validates pods already; this guards the files against a
 * caller's mistake rather than repairing it.
 */
export function assertValidSandboxSpec(spec: SandboxSpec): void {
  assertValidSandboxId(spec.id);
  const problems: string[] = [];
  if (!HOSTNAME.test(spec.hostname)) problems.push(`hostname "${spec.hostname}" is not a valid host name of at most 63 characters`);
  if (spec.podFqdn !== undefined && !DOMAIN_NAME.test(spec.podFqdn)) problems.push(`podFqdn "${spec.podFqdn}" is not a valid domain name`);
  for (const entry of spec.hostsEntries) {
    if (!isIP(entry.ip)) problems.push(`hosts entry IP "${entry.ip}" is not an IP address`);
    for (const name of entry.hostnames) if (!isWord(name)) problems.push(`hosts entry name "${name}" is empty or contains separators`);
  }
  for (const ns of spec.dns.nameservers) if (!isIP(ns)) problems.push(`nameserver "${ns}" is not an IP address`);
  for (const search of spec.dns.searches) if (!isWord(search)) problems.push(`search domain "${search}" is empty or contains separators`);
  for (const option of spec.dns.options) if (!isWord(option)) problems.push(`resolver option "${option}" is empty or contains separators`);
  for (const pm of spec.portMappings) {
    const label = `port mapping ${pm.hostPort}->${pm.containerPort}/${pm.protocol}`;
    if (!isPort(pm.hostPort) || !isPort(pm.containerPort)) problems.push(`${label}: ports must be integers 1-65535`);
    if (!PROTOCOLS.has(pm.protocol)) problems.push(`${label}: protocol must be tcp, udp or sctp`);
    if (pm.hostIP !== undefined && pm.hostIP !== "" && !isIP(pm.hostIP)) problems.push(`${label}: hostIP "${pm.hostIP}" is not an IP address`);
  }
  if (problems.length > 0) throw new Error(`invalid sandbox spec for ${spec.id}: ${problems.join("; ")}`);
}
