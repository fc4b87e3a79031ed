import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { spawnRunner, type CommandRunner } from "../runtime/command";
import { cniAdd, cniDel, type CniChainOptions, type CniTarget } from "./cni-plugin-chain";
import { podNetworkConfigList, portMappingsRuntimeConfig, type CniNetworkConfigList } from "./cni-network-config";
import { podIPv4FromResult } from "./cni-result";
import { renderHostsFile } from "./hosts-file";
import { removeLeftoverRules } from "./iptables-leftovers";
import { cidrContains, firstHostAddress, formatIpv4Cidr, parseIpv4Cidr, type Ipv4Cidr } from "./ipv4-cidr";
import { KeyedMutex } from "./keyed-mutex";
import {
  addNetworkNamespace,
  deleteNetworkNamespace,
  listNetworkNamespaces,
  netnsPath,
  networkNamespaceExists,
  networkNamespaceFileExists,
} from "./network-namespace";
import { renderResolvConf } from "./resolv-conf";
import { runChecked } from "./run-checked";
import {
  assertValidInterfaceName,
  assertValidPrefix,
  assertValidSandboxId,
  cniNetworkName,
  defaultBridgeName,
  isValidSandboxId,
  sandboxIdFromKey,
  sandboxKey,
} from "./sandbox-names";
import { assertValidSandboxSpec, type SandboxInfo, type SandboxSpec } from "./sandbox-spec";
import { SandboxStateStore, type SandboxState } from "./sandbox-state-store";
import { createUtsNamespace, removeUtsNamespace, setUtsHostname, utsNamespaceExists } from "./uts-namespace";

export type { DnsSettings, PortMapping, SandboxInfo, SandboxSpec } from "./sandbox-spec";
export type { CommandRunner } from "../runtime/command";

export interface SandboxManagerOptions {
  /** Unique per agent on this machine; scopes every name the sandboxes leave on the host. */
  prefix: string;
  /** The agent's state folder; sandbox state and files go under `sandboxes/`, IPAM data under `cni-ipam/`. */
  dataDir: string;
  /** The node's podCIDR (IPv4); its first address becomes the bridge's. */
  podCIDR: string;
  /** At most 15 characters; derived from the prefix when unset. */
  bridgeName?: string;
  cniBinDir?: string;
  runner?: CommandRunner;
  /** MTU of the bridge and pod interfaces; the plugin's default (1500) when unset. */
  mtu?: number;
}

const DEFAULT_CNI_BIN_DIR = "/usr/lib/cni";
const POD_INTERFACE = "eth0";

/**
 * A pod's sandbox: a named network namespace wired to the node's bridge through the CNI plugins
 * (called directly, no pause container), a UTS namespace holding the pod's hostname, and the
 * hosts and resolv.conf files its containers mount read-only. Containers join with
 * `--with-ns network:<netnsPath> --with-ns uts:<utsPath>`.
 *
 * @example
 * const sandboxes = new SandboxManager({ prefix: "node1", dataDir: "/var/lib/flotilla", podCIDR: "10.244.1.0/24" });
 * const sb = await sandboxes.ensure({ id: pod.metadata.uid, hostname: "web-0", hostsEntries: [], dns, portMappings: [] });
 * // ... run the containers, and when the pod is gone:
 * await sandboxes.remove(sb.id);
 */
export class SandboxManager {
  private readonly prefix: string;
  private readonly runner: CommandRunner;
  private readonly sandboxesDir: string;
  private readonly ipamDataDir: string;
  private readonly subnet: Ipv4Cidr;
  private readonly gateway: string;
  private readonly bridgeName: string;
  private readonly networkConfig: CniNetworkConfigList;
  private readonly cni: CniChainOptions;
  private readonly states: SandboxStateStore;
  private readonly locks = new KeyedMutex();

  constructor(opts: SandboxManagerOptions) {
    assertValidPrefix(opts.prefix);
    this.prefix = opts.prefix;
    this.runner = opts.runner ?? spawnRunner;
    const dataDir = resolve(opts.dataDir);
    this.sandboxesDir = join(dataDir, "sandboxes");
    this.ipamDataDir = join(dataDir, "cni-ipam");
    this.subnet = parseIpv4Cidr(opts.podCIDR);
    if (this.subnet.prefixLength > 30) throw new Error(`podCIDR ${opts.podCIDR} leaves no room for pods`);
    this.gateway = firstHostAddress(this.subnet);
    this.bridgeName = opts.bridgeName ?? defaultBridgeName(opts.prefix);
    assertValidInterfaceName(this.bridgeName);
    this.networkConfig = podNetworkConfigList({
      networkName: cniNetworkName(opts.prefix),
      bridgeName: this.bridgeName,
      subnet: formatIpv4Cidr(this.subnet),
      gateway: this.gateway,
      ipamDataDir: this.ipamDataDir,
      mtu: opts.mtu,
    });
    this.cni = { runner: this.runner, binDir: opts.cniBinDir ?? DEFAULT_CNI_BIN_DIR };
    this.states = new SandboxStateStore(this.sandboxesDir);
  }

  /** The bridge's address: the first address of the podCIDR, the pods' default gateway. */
  gatewayIP(): string {
    return this.gateway;
  }

  /**
   * Makes the sandbox, or returns the existing one when it is whole (same IP; the hostname and
   * the hosts and resolv.conf files are brought up to date with the spec). A half-made or broken
   * sandbox, or one whose hostPorts or network differ from what is asked, is torn down and made
   * again; `created` in the answer says so.
   */
  async ensure(spec: SandboxSpec): Promise<SandboxInfo> {
    assertValidSandboxSpec(spec);
    return this.locks.run(spec.id, async () => {
      const state = await this.states.read(spec.id);
      if (state && (await this.isWhole(state, spec))) return this.refresh(state, spec);
      await this.teardown(spec.id);
      return this.create(spec);
    });
  }

  /** The sandbox when its saved state says it is ready and its namespaces are present. */
  async get(id: string): Promise<SandboxInfo | undefined> {
    if (!isValidSandboxId(id)) return undefined;
    return this.locks.run(id, async () => {
      const state = await this.states.read(id);
      if (state?.phase !== "ready" || !state.ip) return undefined;
      if (!(await networkNamespaceExists(state.key)) || !(await utsNamespaceExists(this.utsPath(id)))) return undefined;
      return this.info(id, state.ip);
    });
  }

  /**
   * Tears the sandbox down: CNI DEL with the runtime config saved at ADD (while the network
   * namespace still exists, so the plugins can undo everything), then the namespaces and files.
   * Idempotent; also cleans up a half-made sandbox. Stop the pod's containers first.
   */
  async remove(id: string): Promise<void> {
    assertValidSandboxId(id);
    await this.locks.run(id, () => this.teardown(id));
  }

  /** Ids of the sandboxes this prefix owns, whole or not, from saved state and the host's namespaces. */
  async list(): Promise<string[]> {
    const ids = new Set(await this.states.ids());
    for (const name of await listNetworkNamespaces()) {
      const id = sandboxIdFromKey(this.prefix, name);
      if (id !== undefined) ids.add(id);
    }
    for (const entry of await readdir(this.sandboxesDir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory() && isValidSandboxId(entry.name)) ids.add(entry.name);
    }
    return [...ids].sort();
  }

  /**
   * Makes the node's bridge with its gateway address now, rather than with the first pod, so
   * what listens on that address for pods (the node's DNS server) can bind before any pod asks.
   * The bridge plugin adopts an existing bridge as it is.
   */
  async ensureBridge(): Promise<void> {
    const gateway = `${this.gateway}/${this.subnet.prefixLength}`;
    if (!(await pathExists(`/sys/class/net/${this.bridgeName}`))) {
      await runChecked(this.runner, "ip", ["link", "add", this.bridgeName, "type", "bridge"]);
    }
    const addrs = await runChecked(this.runner, "ip", ["-o", "-4", "addr", "show", "dev", this.bridgeName]);
    if (!addrs.stdout.includes(` ${gateway} `)) await runChecked(this.runner, "ip", ["addr", "add", gateway, "dev", this.bridgeName]);
    await runChecked(this.runner, "ip", ["link", "set", this.bridgeName, "up"]);
  }

  /** Removes every sandbox of this prefix, any rules its network leaked, then the bridge and IPAM data. */
  async removeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const id of await this.list()) {
      await this.remove(id).catch((err: unknown) => failures.push(err));
    }
    await removeLeftoverRules(this.runner, { networkName: this.networkConfig.name }).catch((err: unknown) => failures.push(err));
    if (failures.length > 0) throw new AggregateError(failures, `removing the sandboxes of ${this.prefix} failed`);
    if (await pathExists(`/sys/class/net/${this.bridgeName}`)) {
      await runChecked(this.runner, "ip", ["link", "delete", this.bridgeName]);
    }
    await rm(join(this.ipamDataDir, this.networkConfig.name), { recursive: true, force: true });
  }

  private async create(spec: SandboxSpec): Promise<SandboxInfo> {
    const key = sandboxKey(this.prefix, spec.id);
    let state: SandboxState = {
      version: 1,
      id: spec.id,
      phase: "creating",
      spec,
      key,
      networkConfig: this.networkConfig,
      runtimeConfig: portMappingsRuntimeConfig(spec.portMappings),
    };
    // Saved before anything exists on the host, so a crash at any later point leaves enough to undo it.
    await this.states.write(state);
    try {
      await mkdir(this.dirOf(spec.id), { recursive: true });
      await addNetworkNamespace(this.runner, key);
      await createUtsNamespace(this.runner, this.utsPath(spec.id), spec.hostname);
      const cniResult = await cniAdd(this.cni, this.networkConfig, this.target(key, true), state.runtimeConfig);
      const ip = podIPv4FromResult(cniResult);
      state = { ...state, cniResult, ip };
      await this.states.write(state);
      if (!ip || !cidrContains(this.subnet, ip)) {
        throw new Error(`CNI gave sandbox ${spec.id} the address ${ip ?? "(none)"}, not one in ${formatIpv4Cidr(this.subnet)}`);
      }
      await this.writePodFiles(spec, ip);
      state = { ...state, phase: "ready" };
      await this.states.write(state);
      return { ...this.info(spec.id, ip), created: true };
    } catch (err) {
      try {
        await this.teardown(spec.id);
      } catch (cleanupErr) {
        const detail = `${(err as Error).message}; cleaning up failed too: ${(cleanupErr as Error).message}`;
        throw new Error(`making sandbox ${spec.id} failed: ${detail}`, { cause: err });
      }
      throw err;
    }
  }

  private async isWhole(state: SandboxState, spec: SandboxSpec): Promise<boolean> {
    if (state.phase !== "ready" || !state.ip) return false;
    if (state.key !== sandboxKey(this.prefix, spec.id)) return false;
    if (JSON.stringify(state.networkConfig) !== JSON.stringify(this.networkConfig)) return false;
    if (JSON.stringify(state.runtimeConfig) !== JSON.stringify(portMappingsRuntimeConfig(spec.portMappings))) return false;
    if (!(await networkNamespaceExists(state.key)) || !(await utsNamespaceExists(this.utsPath(spec.id)))) return false;
    // The pod end of the veth is gone when the bridge or the host end was deleted.
    const addr = await this.runner.run("ip", ["-n", state.key, "-4", "-o", "addr", "show", "dev", POD_INTERFACE]);
    return addr.code === 0 && addr.stdout.includes(` ${state.ip}/`);
  }

  private async refresh(state: SandboxState, spec: SandboxSpec): Promise<SandboxInfo> {
    const ip = state.ip as string;
    if (state.spec.hostname !== spec.hostname) await setUtsHostname(this.runner, this.utsPath(spec.id), spec.hostname);
    await this.writePodFiles(spec, ip);
    if (JSON.stringify(state.spec) !== JSON.stringify(spec)) await this.states.write({ ...state, spec });
    return { ...this.info(spec.id, ip), created: false };
  }

  /** Undoes whatever part of the sandbox exists. On a failed CNI DEL it stops and keeps the state for a retry. */
  private async teardown(id: string): Promise<void> {
    const key = sandboxKey(this.prefix, id);
    const state = await this.states.read(id);
    const netnsLive = await networkNamespaceExists(key);
    const traces = state !== undefined || netnsLive || (await networkNamespaceFileExists(key)) || (await pathExists(this.dirOf(id)));
    if (!traces) return;

    const networkConfig = state?.networkConfig ?? this.networkConfig;
    const owner = { networkName: networkConfig.name, containerId: key };
    const del = () => cniDel(this.cni, networkConfig, this.target(key, netnsLive), state?.runtimeConfig ?? {}, state?.cniResult);
    try {
      await del();
    } catch {
      // A rule leaked by an earlier incomplete DEL of the same id keeps the plugin from deleting
      // its chain ("resource busy"); sweep the leftovers, then one more DEL must succeed.
      await removeLeftoverRules(this.runner, owner);
      await del();
    }
    await removeLeftoverRules(this.runner, owner);
    await removeUtsNamespace(this.runner, this.utsPath(id));
    await deleteNetworkNamespace(this.runner, key);
    await rm(this.dirOf(id), { recursive: true, force: true });
    await this.states.delete(id);
  }

  /** A dead namespace is passed as none: the bridge plugin then only releases the address. */
  private target(key: string, netnsLive: boolean): CniTarget {
    return { containerId: key, netnsPath: netnsLive ? netnsPath(key) : "", ifName: POD_INTERFACE };
  }

  private async writePodFiles(spec: SandboxSpec, ip: string): Promise<void> {
    const hosts = renderHostsFile({ podIP: ip, hostname: spec.hostname, podFqdn: spec.podFqdn, hostAliases: spec.hostsEntries });
    await writeIfChanged(this.hostsPath(spec.id), hosts);
    await writeIfChanged(this.resolvPath(spec.id), renderResolvConf(spec.dns));
  }

  private info(id: string, ip: string): SandboxInfo {
    return {
      id,
      ip,
      netnsPath: netnsPath(sandboxKey(this.prefix, id)),
      utsPath: this.utsPath(id),
      hostsPath: this.hostsPath(id),
      resolvPath: this.resolvPath(id),
    };
  }

  private dirOf(id: string): string {
    return join(this.sandboxesDir, id);
  }

  private utsPath(id: string): string {
    return join(this.dirOf(id), "uts");
  }

  private hostsPath(id: string): string {
    return join(this.dirOf(id), "hosts");
  }

  private resolvPath(id: string): string {
    return join(this.dirOf(id), "resolv.conf");
  }
}

function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Rewrites in place (same inode), so containers that bind-mounted the file see the new content. */
async function writeIfChanged(path: string, content: string): Promise<void> {
  const current = await readFile(path, "utf8").catch(() => undefined);
  if (current !== content) await writeFile(path, content, { mode: 0o644 });
}
