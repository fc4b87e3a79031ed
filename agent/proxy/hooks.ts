/**
 * The jump rules that send traffic from the built-in chains into one proxy's chains, and the
 * reading of `iptables-save` output that tells which of them are missing, doubled or misplaced.
 *
 * All hooks are inserted at the top of their built-in chain, as kube-proxy does. For nat
 * POSTROUTING that matters: the CNI bridge plugin appends, for each pod, a rule whose chain
 * ACCEPTs traffic to the pod subnet, which ends the nat table's walk; our masquerade must run
 * first or hairpin traffic (a pod reaching itself through its service) would never be masqueraded.
 */
import { splitRuleArgs } from "../sandbox/iptables-leftovers";
import { fixedChain, isOwnChain } from "./chain-names";
import type { ExistingChains } from "./restore-text";

export type Table = "nat" | "filter";

export interface Hook {
  table: Table;
  /** The built-in chain the jump is in. */
  chain: string;
  /** The rule after "-A <chain>", ending with "-j <our chain>". */
  args: string[];
  /** Must come before the CNI plugins' per-pod rules in the same chain. */
  beforeCniRules: boolean;
}

/** One table's rules as `iptables-save` prints them: chain → rules (arguments after "-A <chain>"). */
export type SavedTable = Map<string, string[][]>;

export interface SavedRules {
  tables: Map<string, SavedTable>;
  /** The chains of ours among them. */
  own: ExistingChains;
}

/** Host commands (iptables arguments after "-w") that bring the hooks in order. */
export interface HookPlan {
  remove: string[][];
  insert: string[][];
}

function hookComment(prefix: string, what: string): string[] {
  return ["-m", "comment", "--comment", `${prefix} ${what}`];
}

/**
 * @example
 * proxyHooks("n1").map((h) => `${h.table} ${h.chain}`);
 * // ["nat PREROUTING", "nat OUTPUT", "nat POSTROUTING", "filter INPUT", "filter FORWARD", "filter OUTPUT"]
 */
export function proxyHooks(prefix: string): Hook[] {
  const services = fixedChain(prefix, "SERVICES");
  const portals = [...hookComment(prefix, "service portals"), "-j", services];
  // Only a connection's first packet needs judging; replies and later packets follow conntrack.
  const rejects = ["-m", "conntrack", "--ctstate", "NEW", ...hookComment(prefix, "service rejects"), "-j", services];
  return [
    { table: "nat", chain: "PREROUTING", args: portals, beforeCniRules: false },
    { table: "nat", chain: "OUTPUT", args: portals, beforeCniRules: false },
    { table: "nat", chain: "POSTROUTING", args: [...hookComment(prefix, "service masquerade"), "-j", fixedChain(prefix, "POSTROUTING")], beforeCniRules: true },
    { table: "filter", chain: "INPUT", args: rejects, beforeCniRules: false },
    { table: "filter", chain: "FORWARD", args: rejects, beforeCniRules: false },
    { table: "filter", chain: "OUTPUT", args: rejects, beforeCniRules: false },
  ];
}

/** The chain or target after the rule's last "-j". */
export function jumpTarget(args: readonly string[]): string | undefined {
  const at = args.lastIndexOf("-j");
  return at === -1 ? undefined : args[at + 1];
}

/** Reads `iptables-save` output. */
export function parseSave(text: string, prefix: string): SavedRules {
  const tables = new Map<string, SavedTable>();
  let current: SavedTable | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("*")) {
      current = new Map();
      tables.set(line.slice(1), current);
    } else if (!current) continue;
    else if (line.startsWith(":")) {
      const name = line.slice(1).split(" ")[0];
      if (!current.has(name)) current.set(name, []);
    } else if (line.startsWith("-A ")) {
      const args = splitRuleArgs(line);
      const chain = args[1];
      if (!current.has(chain)) current.set(chain, []);
      current.get(chain)!.push(args.slice(2));
    }
  }
  const own = (table: string) => [...(tables.get(table)?.keys() ?? [])].filter((c) => isOwnChain(prefix, c));
  return { tables, own: { nat: own("nat"), filter: own("filter") } };
}

/** A per-pod chain of the CNI bridge or portmap plugin (the shared CNI-HOSTPORT-* ones excepted). */
function isCniPodRule(args: readonly string[]): boolean {
  const target = jumpTarget(args);
  return !!target && target.startsWith("CNI-") && !target.startsWith("CNI-HOSTPORT-");
}

/** What to delete and insert so each hook is present once, and in place. */
export function planHooks(saved: SavedRules, hooks: readonly Hook[]): HookPlan {
  const plan: HookPlan = { remove: [], insert: [] };
  for (const hook of hooks) {
    const rules = saved.tables.get(hook.table)?.get(hook.chain) ?? [];
    const target = jumpTarget(hook.args);
    const ours = rules.map((r, i) => ({ r, i })).filter(({ r }) => jumpTarget(r) === target);
    const firstCni = hook.beforeCniRules ? rules.findIndex(isCniPodRule) : -1;
    const misplaced = ours.length > 0 && firstCni !== -1 && firstCni < ours[0].i;
    const keep = ours.length > 0 && !misplaced ? 1 : 0;
    for (const { r } of ours.slice(keep)) plan.remove.push(["-t", hook.table, "-D", hook.chain, ...r]);
    if (keep === 0) plan.insert.push(["-t", hook.table, "-I", hook.chain, "1", ...hook.args]);
  }
  return plan;
}

/** Deletions of every rule, outside our own chains, that jumps into one of them. */
export function planUnhook(saved: SavedRules, prefix: string): string[][] {
  const out: string[][] = [];
  for (const [table, chains] of saved.tables) {
    for (const [chain, rules] of chains) {
      if (isOwnChain(prefix, chain)) continue;
      for (const r of rules) {
        const target = jumpTarget(r);
        if (target && isOwnChain(prefix, target)) out.push(["-t", table, "-D", chain, ...r]);
      }
    }
  }
  return out;
}
