/**
 * NodeAffinity: spec.nodeSelector and required node affinity filter nodes; preferred node
 * affinity terms add their weights to a node's score.
 */
import { Code, defaultNormalizeScore, MAX_NODE_SCORE, SKIP, status, type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type PreFilterPlugin, type PreFilterResult, type PreScorePlugin, type ScorePlugin, type Status } from "../framework";

type Obj = Record<string, any>;

export const name = "NodeAffinity";
export const WEIGHT = 2;
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

const INTEGER = /^[+-]?\d+$/;

/** One NodeSelectorRequirement against a set of labels (or fields). */
export function requirementMatches(req: Obj, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const v = has ? labels[req.key] : undefined;
  const values: string[] = req.values ?? [];
  switch (req.operator) {
    case "In":
      return has && values.includes(v!);
    case "NotIn":
      return !has || !values.includes(v!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      if (!has || values.length !== 1 || !INTEGER.test(v!) || !INTEGER.test(values[0])) return false;
      const a = BigInt(v!);
      const b = BigInt(values[0]);
      return req.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** Field requirements support metadata.name only (with In and NotIn), as upstream. */
function fieldRequirementMatches(req: Obj, node: Obj): boolean {
  if (req.key !== "metadata.name") return false;
  if (req.operator !== "In" && req.operator !== "NotIn") return false;
  return requirementMatches(req, { "metadata.name": node.metadata?.name ?? "" });
}

/** A NodeSelectorTerm: its expressions and fields ANDed; a term with neither matches nothing. */
export function termMatches(term: Obj, node: Obj, labels: Record<string, string> = node.metadata?.labels ?? {}): boolean {
  const exprs: Obj[] = term.matchExpressions ?? [];
  const fields: Obj[] = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  return exprs.every((r) => requirementMatches(r, labels)) && fields.every((r) => fieldRequirementMatches(r, node));
}

/** A NodeSelector: its terms ORed. */
export function nodeSelectorMatches(selector: Obj, node: Obj, labels?: Record<string, string>): boolean {
  return (selector.nodeSelectorTerms ?? []).some((t: Obj) => termMatches(t, node, labels));
}

/** Whether the pod's nodeSelector and required node affinity both admit the node. */
export function podMatchesNodeSelectorAndAffinity(pod: Obj, node: Obj, labels: Record<string, string> = node.metadata?.labels ?? {}): boolean {
  const sel: Obj = pod.spec?.nodeSelector ?? {};
  for (const k of Object.keys(sel)) if (labels[k] !== sel[k]) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required ? nodeSelectorMatches(required, node, labels) : true;
}

/** The sum of the weights of the preferred terms the node matches. */
export function preferredScore(pod: Obj, node: Obj, labels: Record<string, string> = node.metadata?.labels ?? {}): number {
  let n = 0;
  for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (p.weight && termMatches(p.preference ?? {}, node, labels)) n += Number(p.weight);
  }
  return n;
}

/**
 * When every required term pins metadata.name with In, only those nodes can fit: the PreFilter
 * narrows the nodes to filter (the rest count as failing with upstream's "didn't satisfy
 * plugin(s)" reason).
 */
export function preFilter(_state: CycleState | undefined, pod: PodInfo): PreFilterResult | null {
  const terms: Obj[] = pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (!terms.length) return null;
  const names = new Set<string>();
  for (const t of terms) {
    const byName = (t.matchFields ?? []).filter((f: Obj) => f.key === "metadata.name" && f.operator === "In" && (f.values ?? []).length);
    if (!byName.length) return null;
    // ANDed name lists: the intersection.
    let set = new Set<string>(byName[0].values);
    for (const f of byName.slice(1)) set = new Set([...set].filter((n) => f.values.includes(n)));
    for (const n of set) names.add(n);
  }
  return { nodeNames: names };
}

export function filter(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): Status | null {
  if (!nodeInfo.node) return status(Code.Error, name, "node not found");
  return podMatchesNodeSelectorAndAffinity(pod.pod, nodeInfo.node, nodeInfo.labels) ? null : status(Code.UnschedulableAndUnresolvable, name, ERR_REASON_POD);
}

export function score(_state: CycleState | undefined, pod: PodInfo, nodeInfo: NodeInfo): number {
  return nodeInfo.node ? preferredScore(pod.pod, nodeInfo.node, nodeInfo.labels) : 0;
}

export function normalize(_state: CycleState | undefined, _pod: PodInfo, scores: number[]): void {
  defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
}

export function plugin(): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name,
    preFilter: (s, p) => preFilter(s, p),
    filter,
    preScore: (_s, p) => ((p.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length ? null : SKIP),
    score,
    normalize,
  };
}
