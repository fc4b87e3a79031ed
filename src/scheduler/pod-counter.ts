/**
 * Pod counters: a named predicate over bound pods whose per-node count every NodeInfo keeps
 * current as pods come and go. The spreading and inter-pod affinity plugins ask "how many pods on
 * this node match this selector (in this namespace)?" for every node of every scheduling cycle;
 * answering from a kept count makes a cycle cost O(nodes) instead of O(pods), which is what
 * upstream gets from its per-cycle PreFilter state and parallel workers.
 *
 * Counters are interned by key, so every pod of a workload shares one. The key must determine
 * the predicate completely: two predicates with one key would read each other's counts. Only
 * predicates that depend on the pod alone may be kept; one that reads outside state (a
 * namespaceSelector reads namespace labels) is made `transient` and counted afresh every time.
 */
import type { LabelSelector } from "../lib/selectors";
import type { PodInfo } from "./framework";

export interface PodCounter {
  readonly key: string;
  readonly matches: (p: PodInfo) => boolean;
  /**
   * True once the registry dropped the counter (or for a transient one): NodeInfos neither keep
   * nor trust a count for it, and drop what they kept at their next change.
   */
  readonly retired: boolean;
}

interface MutableCounter extends PodCounter {
  retired: boolean;
}

/**
 * How many counters stay registered. Each bound pod added to or removed from a node is tested
 * against the counters that node keeps, so the bound is on that per-pod cost; a workload needs
 * one or two.
 */
export const MAX_COUNTERS = 128;

/** Insertion order is recency of use: the first entry is the least recently used. */
const registry = new Map<string, MutableCounter>();

/**
 * The counter for `key`, registered on first use (`matches` is used only then).
 * @example const c = podCounter(`spread|default|app=web`, (p) => p.namespace === "default" && p.labels.app === "web"); nodeInfo.countMatching(c)
 */
export function podCounter(key: string, matches: (p: PodInfo) => boolean): PodCounter {
  const found = registry.get(key);
  if (found) {
    registry.delete(key);
    registry.set(key, found);
    return found;
  }
  const c: MutableCounter = { key, matches, retired: false };
  registry.set(key, c);
  if (registry.size > MAX_COUNTERS) {
    const [oldestKey, oldest] = registry.entries().next().value!;
    registry.delete(oldestKey);
    oldest.retired = true;
  }
  return c;
}

/** A counter that is never kept: every NodeInfo counts it by looking at its pods. */
export function transientCounter(key: string, matches: (p: PodInfo) => boolean): PodCounter {
  return { key, matches, retired: true };
}

/** How many counters are registered (for tests). */
export function registeredCounters(): number {
  return registry.size;
}

/**
 * A selector's identity for counter keys. An empty selector (`{}`, everything) and a nil one
 * (nothing) print alike, so they are told apart here.
 */
export function selectorKey(sel: LabelSelector): string {
  if (sel.empty) return "{}";
  const s = sel.toString();
  return s === "" ? "<nil>" : s;
}
