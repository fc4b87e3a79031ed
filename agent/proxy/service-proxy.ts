/**
 * The node proxy: programs the node's packet filter so that service addresses lead to endpoints,
 * the role kube-proxy plays in its iptables mode.
 *
 * Why iptables (through Debian's nft backend) rather than a native nftables table: the `nft`
 * tool is not part of a node's setup while `iptables` comes with the CNI plugins, and those
 * plugins (bridge masquerade, portmap hostPorts) already write their rules into the ip nat
 * table through iptables. Staying in the same tables lets our rules be ordered against theirs
 * (our masquerade must run before the bridge plugin's per-pod ACCEPT, see hooks.ts), and
 * `iptables-restore --noflush` still replaces all of our chains in one atomic transaction.
 *
 * Each sync recomputes the whole rule set from the catalog, flushes and refills this prefix's
 * chains in one `iptables-restore --noflush`, deletes the chains no longer needed in the same
 * transaction, then makes sure each hook (one jump from nat PREROUTING, OUTPUT and POSTROUTING
 * and from filter INPUT, FORWARD and OUTPUT) is there once. Catalog changes are debounced into
 * one sync; a failed sync is retried with back-off; a periodic sync repairs outside meddling.
 * Nothing is written before the catalog has synced, so a restarting agent does not briefly
 * reject every service.
 *
 * Several agents on one machine (different prefixes). Every agent hooks all of its chains, and
 * all of them compute their rules from the same cluster state, so the rule sets are the same:
 * the first agent's chains that DNAT a connection end the nat walk for it, and the others'
 * chains are a dormant copy that takes over without a gap when the first agent stops with
 * cleanup. A REJECT of a lagging agent cannot hit a connection another agent has DNATed (its
 * destination is then the endpoint, no longer the service address). The one input that differs
 * per node is which endpoints count as "local" for the Local traffic policies, so every agent
 * counts the endpoints of every node on this machine (same InternalIP among `nodeIPs`) as local:
 * the sets then agree too. An agent that crashes leaves its rules, as kube-proxy does; they are
 * rewritten when it starts again, and must be removed (stop with cleanup) when it leaves for good.
 *
 * Limits: IPv4 only; UDP conntrack entries to a removed endpoint are not flushed (a UDP "flow"
 * to it continues until its conntrack entry expires); NodePorts are not served on 127.0.0.1.
 */
import { systemClock } from "../../src/lib/clock";
import { Backoff } from "../api/backoff";
import { spawnRunner, type CommandRunner } from "../runtime/command";
import { cidrContains, parseIpv4Cidr } from "../sandbox/ipv4-cidr";
import { runChecked } from "../sandbox/run-checked";
import type { ServiceCatalog } from "../services/catalog";
import { assertValidChainPrefix } from "./chain-names";
import { parseSave, planHooks, planUnhook, proxyHooks, type SavedRules } from "./hooks";
import { removalText, restoreText } from "./restore-text";
import { buildProxyRules } from "./rule-set";
import { ensureForwardingSysctls } from "./sysctls";

export interface ServiceProxyOptions {
  catalog: ServiceCatalog;
  nodeName: string;
  /** This node's addresses; nodes in the catalog with one of them as InternalIP share this machine. */
  nodeIPs: string[];
  /** This node's podCIDR (must lie inside clusterCIDR). */
  podCIDR: string;
  /** All pods' addresses, e.g. 10.244.0.0/16; traffic from elsewhere to a service is masqueraded. */
  clusterCIDR: string;
  /** 1-6 lowercase letters and digits, unique per agent on this machine; starts every chain name. */
  chainPrefix: string;
  runner?: CommandRunner;
  /** How long to wait after a catalog change for more changes before writing (default 80 ms). */
  debounceMs?: number;
  /** How often the rules are rewritten without any change, repairing outside edits (default 30 s). */
  resyncIntervalMs?: number;
  /** Where the kernel's settings are (default /proc/sys). */
  procSys?: string;
  now?: () => number;
  log?: (line: string) => void;
}

export interface SyncStats {
  /** When the sync started (by `now`). */
  at: number;
  durationMs: number;
  /** Rules written, in all of our chains. */
  rules: number;
}

export interface ServiceProxy {
  /** Stops syncing; with cleanup, removes every chain and hook of this prefix. */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
  /** Writes the rules now (once the catalog has synced); rejects when writing fails. */
  syncNow(): Promise<void>;
  readonly lastSync?: SyncStats;
}

const IPTABLES_TIMEOUT_MS = 60_000;

/**
 * @example
 * const proxy = startServiceProxy({ catalog, nodeName: "n1", nodeIPs: ["192.0.2.2"], podCIDR: "10.244.1.0/24", clusterCIDR: "10.244.0.0/16", chainPrefix: "fa1b2c" });
 * // ... on shutdown (rules stay, traffic keeps flowing):
 * await proxy.stop();
 * // ... or when the node leaves this machine:
 * await proxy.stop({ cleanup: true });
 */
export function startServiceProxy(opts: ServiceProxyOptions): ServiceProxy {
  assertValidChainPrefix(opts.chainPrefix);
  const cluster = parseIpv4Cidr(opts.clusterCIDR);
  const pod = parseIpv4Cidr(opts.podCIDR);
  if (!cidrContains(cluster, opts.podCIDR.split("/")[0]) || pod.prefixLength < cluster.prefixLength) {
    throw new Error(`podCIDR ${opts.podCIDR} is not inside clusterCIDR ${opts.clusterCIDR}`);
  }
  const prefix = opts.chainPrefix;
  const runner = opts.runner ?? spawnRunner;
  const now = opts.now ?? (() => systemClock.now());
  const log = opts.log ?? (() => undefined);
  const debounceMs = opts.debounceMs ?? 80;
  const hooks = proxyHooks(prefix);
  const backoff = new Backoff({ initialMs: 1000, maxMs: 30_000 });

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<void> = Promise.resolve();
  let lastSync: SyncStats | undefined;
  let lastText = "";
  let kernelChecked = false;

  const iptables = (args: string[], input?: string) => runChecked(runner, args[0], args.slice(1), { input, timeoutMs: IPTABLES_TIMEOUT_MS });
  const readSaved = async (): Promise<SavedRules> => parseSave((await iptables(["iptables-save"])).stdout, prefix);

  function localNodes(): Set<string> {
    const names = new Set([opts.nodeName]);
    for (const n of opts.catalog.nodes()) if (n.internalIP && opts.nodeIPs.includes(n.internalIP)) names.add(n.name);
    return names;
  }

  async function writeRules(): Promise<void> {
    const started = now();
    if (!kernelChecked) {
      await ensureForwardingSysctls({ runner, log, procSys: opts.procSys });
      kernelChecked = true;
    }
    const rules = buildProxyRules({
      prefix,
      clusterCIDR: opts.clusterCIDR,
      localNodes: localNodes(),
      services: opts.catalog.services(),
      endpoints: (ns, name) => opts.catalog.endpoints(ns, name),
    });
    const saved = await readSaved();
    const text = restoreText(rules, saved.own);
    await iptables(["iptables-restore", "-w", "--noflush"], text);
    const plan = planHooks(saved, hooks);
    // A duplicate may already be gone (another writer): a failed delete is not an error.
    for (const args of plan.remove) await runner.run("iptables", ["-w", ...args], { timeoutMs: IPTABLES_TIMEOUT_MS });
    for (const args of plan.insert) await iptables(["iptables", "-w", ...args]);
    lastSync = { at: started, durationMs: now() - started, rules: rules.ruleCount };
    if (text !== lastText || plan.insert.length > 0) log(`service proxy ${prefix}: wrote ${rules.ruleCount} rules in ${lastSync.durationMs} ms`);
    lastText = text;
  }

  async function syncOnce(): Promise<void> {
    if (stopped || !opts.catalog.synced) return;
    try {
      await writeRules();
      backoff.reset();
    } catch (err) {
      log(`service proxy ${prefix}: sync failed: ${(err as Error).message}`);
      schedule(backoff.next());
      throw err;
    }
  }

  function enqueue(): Promise<void> {
    const run = queue.then(syncOnce);
    queue = run.catch(() => undefined);
    return run;
  }

  function schedule(ms: number): void {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      enqueue().catch(() => undefined);
    }, ms);
  }

  const unsubscribe = opts.catalog.onChange(() => schedule(debounceMs));
  const resync = setInterval(() => schedule(0), opts.resyncIntervalMs ?? 30_000);
  schedule(0);

  return {
    get lastSync() {
      return lastSync;
    },
    syncNow() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      return enqueue();
    },
    async stop(stopOpts = {}) {
      stopped = true;
      unsubscribe();
      clearInterval(resync);
      if (timer) clearTimeout(timer);
      timer = undefined;
      await queue;
      if (!stopOpts.cleanup) return;
      const removed = await removeProxyRules(prefix, runner);
      log(`service proxy ${prefix}: removed ${removed} chains`);
    },
  };
}

/**
 * Removes every hook and chain of one prefix from the packet filter (what `stop({ cleanup: true })`
 * does), e.g. for a node whose agent is gone; returns how many chains it deleted.
 *
 * @example
 * await removeProxyRules("fa1b2c");
 */
export async function removeProxyRules(chainPrefix: string, runner: CommandRunner = spawnRunner): Promise<number> {
  assertValidChainPrefix(chainPrefix);
  const run = (cmd: string, args: string[], input?: string) => runChecked(runner, cmd, args, { input, timeoutMs: IPTABLES_TIMEOUT_MS });
  const saved = parseSave((await run("iptables-save", [])).stdout, chainPrefix);
  for (const args of planUnhook(saved, chainPrefix)) await run("iptables", ["-w", ...args]);
  const text = removalText(saved.own);
  if (text) await run("iptables-restore", ["-w", "--noflush"], text);
  return saved.own.nat.length + saved.own.filter.length;
}
