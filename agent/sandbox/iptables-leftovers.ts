import { createHash } from "node:crypto";
import type { CommandRunner } from "../runtime/command";
import { runChecked } from "./run-checked";

/*
 * The bridge (ipMasq) and portmap plugins tag their nat rules with the comment
 * `name: "<network>" id: "<container id>"` (portmap prefixes "dnat ") and name their
 * per-container chains after a SHA-512 of network name + container id. A DEL that could not run
 * properly (the netns vanished, the runtime config was lost) leaves these behind; this finds
 * and removes them. The shared CNI-HOSTPORT-* chains belong to every network and are kept.
 */

/** Whose rules to remove: one sandbox of a network, or the whole network when containerId is unset. */
export interface RuleOwner {
  readonly networkName: string;
  readonly containerId?: string;
}

export interface LeftoverPlan {
  /** Arguments after `-D`: the chain, then the rule spec. */
  readonly rules: readonly string[][];
  /** Per-container chains to flush and delete once nothing jumps to them. */
  readonly chains: readonly string[];
}

const OWNER_COMMENT = /^(?:dnat )?name: "([^"]*)" id: "([^"]*)"$/;
const SHARED_CHAIN_PREFIX = "CNI-HOSTPORT-";

/** Splits one line of `iptables -S` into arguments, undoing its double-quote escaping. */
export function splitRuleArgs(line: string): string[] {
  const args: string[] = [];
  let current = "";
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === "\\" && i + 1 < line.length) current += line[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (ch === " " || ch === "\t") {
      if (inToken) args.push(current);
      current = "";
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (inToken) args.push(current);
  return args;
}

/** The per-container chain names the bridge and portmap plugins derive for a container. */
export function pluginChainNames(networkName: string, containerId: string): string[] {
  const digest = createHash("sha512").update(networkName + containerId).digest("hex");
  return [`CNI-${digest.slice(0, 24)}`, `CNI-DN-${digest.slice(0, 21)}`];
}

function optionValue(args: readonly string[], option: string): string | undefined {
  const at = args.indexOf(option);
  return at === -1 ? undefined : args[at + 1];
}

function isPerContainerChain(chain: string): boolean {
  return chain.startsWith("CNI-") && !chain.startsWith(SHARED_CHAIN_PREFIX);
}

/** Works out, from `iptables -t nat -S` output, which rules and chains the owner left behind. */
export function planLeftoverCleanup(natRules: string, owner: RuleOwner): LeftoverPlan {
  const existing = new Set<string>();
  const appended: string[][] = [];
  for (const line of natRules.split("\n")) {
    const args = splitRuleArgs(line.trim());
    if (args[0] === "-N" && args[1]) existing.add(args[1]);
    if (args[0] === "-A" && args.length > 1) appended.push(args.slice(1));
  }

  const ownedBy = (rule: readonly string[]): string | undefined => {
    const m = OWNER_COMMENT.exec(optionValue(rule, "--comment") ?? "");
    if (!m || m[1] !== owner.networkName) return undefined;
    if (owner.containerId !== undefined && m[2] !== owner.containerId) return undefined;
    return m[2];
  };

  const chains = new Set<string>();
  for (const rule of appended) {
    const containerId = ownedBy(rule);
    if (containerId === undefined) continue;
    for (const name of pluginChainNames(owner.networkName, containerId)) if (existing.has(name)) chains.add(name);
    const target = optionValue(rule, "-j");
    if (target && isPerContainerChain(target) && existing.has(target)) chains.add(target);
    if (isPerContainerChain(rule[0])) chains.add(rule[0]);
  }
  if (owner.containerId !== undefined) {
    // A chain whose jump rule was never added (an ADD cut short) is still found by its name.
    for (const name of pluginChainNames(owner.networkName, owner.containerId)) if (existing.has(name)) chains.add(name);
  }

  const rules = appended.filter((rule) => {
    if (chains.has(rule[0])) return false; // goes away with the flush
    const target = optionValue(rule, "-j");
    return ownedBy(rule) !== undefined || (target !== undefined && chains.has(target));
  });
  return { rules, chains: [...chains] };
}

/** Removes the owner's leftover nat rules and chains; returns what it removed. */
export async function removeLeftoverRules(runner: CommandRunner, owner: RuleOwner): Promise<LeftoverPlan> {
  const { stdout } = await runChecked(runner, "iptables", ["-w", "-t", "nat", "-S"]);
  const plan = planLeftoverCleanup(stdout, owner);
  for (const rule of plan.rules) await runChecked(runner, "iptables", ["-w", "-t", "nat", "-D", ...rule]);
  for (const chain of plan.chains) await runChecked(runner, "iptables", ["-w", "-t", "nat", "-F", chain]);
  for (const chain of plan.chains) await runChecked(runner, "iptables", ["-w", "-t", "nat", "-X", chain]);
  return plan;
}
