import type { PortMapping } from "./sandbox-spec";

/** The CNI spec version we speak; the plugins shipped with the node accept 0.1.0 through 1.0.0. */
export const CNI_VERSION = "1.0.0";

export interface CniPluginConfig {
  readonly type: string;
  /** Runtime values this plugin wants injected into its `runtimeConfig` (CNI conventions). */
  readonly capabilities?: Readonly<Record<string, boolean>>;
  readonly [key: string]: unknown;
}

export interface CniNetworkConfigList {
  readonly cniVersion: string;
  readonly name: string;
  readonly plugins: readonly CniPluginConfig[];
}

/** One entry of the well-known `portMappings` capability. */
export interface CniPortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: string;
  readonly hostIP?: string;
}

/** The per-sandbox runtime values; DEL must be given the same ones ADD got. */
export interface CniRuntimeConfig {
  readonly portMappings?: readonly CniPortMapping[];
}

export interface PodNetworkOptions {
  readonly networkName: string;
  readonly bridgeName: string;
  /** The node's podCIDR, e.g. 10.244.3.0/24. */
  readonly subnet: string;
  /** The bridge's own address and the pods' default gateway. */
  readonly gateway: string;
  /** Where host-local keeps its reservations (a folder per network name inside it). */
  readonly ipamDataDir: string;
  readonly mtu?: number;
}

/**
 * The node's pod network: a bridge acting as the pods' gateway with outbound masquerading and
 * hairpin (a pod reaching itself through a hostPort), addresses from host-local on the podCIDR,
 * then portmap for hostPorts.
 */
export function podNetworkConfigList(opts: PodNetworkOptions): CniNetworkConfigList {
  const bridge: CniPluginConfig = {
    type: "bridge",
    bridge: opts.bridgeName,
    isGateway: true,
    ipMasq: true,
    hairpinMode: true,
    ...(opts.mtu === undefined ? {} : { mtu: opts.mtu }),
    ipam: {
      type: "host-local",
      ranges: [[{ subnet: opts.subnet, gateway: opts.gateway }]],
      routes: [{ dst: "0.0.0.0/0" }],
      dataDir: opts.ipamDataDir,
    },
  };
  const portmap: CniPluginConfig = { type: "portmap", capabilities: { portMappings: true } };
  return { cniVersion: CNI_VERSION, name: opts.networkName, plugins: [bridge, portmap] };
}

/** The runtime config for a pod's hostPorts. */
export function portMappingsRuntimeConfig(mappings: readonly PortMapping[]): CniRuntimeConfig {
  if (mappings.length === 0) return {};
  return {
    portMappings: mappings.map((pm) => ({
      hostPort: pm.hostPort,
      containerPort: pm.containerPort,
      protocol: pm.protocol,
      ...(pm.hostIP ? { hostIP: pm.hostIP } : {}),
    })),
  };
}

/**
 * What one plugin of the list reads on stdin: its own config with the list's name and version,
 * the runtime values it declared a capability for, and the previous plugin's result.
 */
export function pluginStdinConfig(
  list: CniNetworkConfigList,
  plugin: CniPluginConfig,
  runtimeConfig: CniRuntimeConfig,
  prevResult?: unknown,
): Record<string, unknown> {
  const injected: Record<string, unknown> = {};
  for (const [capability, wanted] of Object.entries(plugin.capabilities ?? {})) {
    const value = (runtimeConfig as Record<string, unknown>)[capability];
    if (wanted && value !== undefined) injected[capability] = value;
  }
  return {
    ...plugin,
    cniVersion: list.cniVersion,
    name: list.name,
    ...(Object.keys(injected).length > 0 ? { runtimeConfig: injected } : {}),
    ...(prevResult === undefined ? {} : { prevResult }),
  };
}
