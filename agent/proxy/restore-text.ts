/**
 * The input of `iptables-restore --noflush` that makes the host's chains of one prefix equal to a
 * rule set in one transaction: with --noflush, declaring a chain (":name - [0:0]") creates it or
 * empties it while every other chain of the table stays as it is; the rules refill it; chains
 * of ours that the rule set no longer has are emptied and then deleted (-X) in the same commit.
 */
import type { ProxyRuleSet, TableRules } from "./rule-set";

/** Our chains that exist on the host now, per table. */
export interface ExistingChains {
  nat: readonly string[];
  filter: readonly string[];
}

/** Quotes an argument the way iptables-save does when it holds blanks or quotes. */
export function quoteArg(arg: string): string {
  if (arg !== "" && !/[\s"\\']/.test(arg)) return arg;
  return `"${arg.replace(/(["\\])/g, "\\$1")}"`;
}

/** A rule's arguments as one line of restore input. */
export function ruleLine(args: readonly string[]): string {
  return args.map(quoteArg).join(" ");
}

function tableText(name: string, wanted: TableRules, existing: readonly string[]): string[] {
  const stale = existing.filter((c) => !wanted.chains.includes(c)).sort();
  if (wanted.chains.length === 0 && stale.length === 0) return [];
  return [
    `*${name}`,
    ...[...wanted.chains, ...stale].map((c) => `:${c} - [0:0]`),
    ...wanted.rules.map(ruleLine),
    ...stale.map((c) => `-X ${c}`),
    "COMMIT",
  ];
}

/**
 * @example
 * restoreText(buildProxyRules(input), { nat: ["n1-SVC-OLD..."], filter: [] });
 * // "*nat\n:n1-SERVICES - [0:0]\n...\n-X n1-SVC-OLD...\nCOMMIT\n*filter\n...COMMIT\n"
 */
export function restoreText(rules: ProxyRuleSet, existing: ExistingChains): string {
  return [...tableText("nat", rules.nat, existing.nat), ...tableText("filter", rules.filter, existing.filter), ""].join("\n");
}

/** The text that deletes every chain listed (they must no longer be jumped to from elsewhere). */
export function removalText(existing: ExistingChains): string {
  const empty: TableRules = { chains: [], rules: [] };
  return restoreText({ nat: empty, filter: empty, ruleCount: 0 }, existing);
}
