/**
 * One scheduling attempt, as kube-scheduler's schedulePod: PreFilter, Filter over (a rotating
 * window of) the nodes until enough feasible ones are found, PreScore, Score with normalization
 * and weights, and a random choice among the best. When nothing fits, the message is upstream's
 * FitError, followed by what the preemption dry run concluded.
 */
import { CycleState, Code, isRejected, newPodInfo, SKIP, status, type FilterPlugin, type NodeInfo, type PluginEnv, type PodInfo, type Status } from "./framework";
import { defaultProfile, type Profile } from "./plugins/registry";

type Obj = Record<string, any>;

export interface NodeScore {
  name: string;
  total: number;
}

export interface ScheduleSuccess {
  node: string;
  /** Scores of the feasible nodes (empty when only one node was feasible and scoring was skipped). */
  scores: NodeScore[];
  /** Weighted scores per plugin that ran, aligned with `scores`. */
  pluginScores: Map<string, number[]>;
  /** How many nodes were checked, and how many of those were feasible. */
  evaluated: number;
  feasible: number;
}

export interface ScheduleFailure {
  unschedulable: true;
  message: string;
  /** The rejecting status per node that was filtered. */
  statuses: Map<string, Status>;
  /**
   * Nodes where evicting lower-priority pods would make room. Preemption itself is not done
   * here; when this is non-empty the message carries no preemption part, as upstream's when
   * preemption succeeds.
   */
  preemptionCandidates: string[];
}

export type ScheduleResult = ScheduleSuccess | ScheduleFailure;

export interface ScheduleOptions {
  /** Returns a number in [0, 1); breaks ties between equally scored nodes. */
  random?: () => number;
  profile?: Profile;
  env?: PluginEnv;
  /** Where the next attempt starts looking (upstream's nextStartNodeIndex); advanced in place. */
  cursor?: { next: number };
  /** percentageOfNodesToScore; 0 or unset is upstream's adaptive default. */
  percentageOfNodesToScore?: number;
}

export const NO_NODE_AVAILABLE = "0/%v nodes are available";
export const PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling";
export const NO_PREEMPTION_VICTIMS = "No preemption victims found for incoming pod";

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
const BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50;

/** How many feasible nodes to look for before scoring (upstream's adaptive percentage). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) {
    pct = BASE_PERCENTAGE_OF_NODES_TO_SCORE - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Upstream's FitError text: "0/N nodes are available: [prefilter message.] [sorted histogram of
 * reasons.] [postfilter message]". Nodes with no explicit status count under `absent`.
 */
export function fitErrorMessage(numAllNodes: number, statuses: ReadonlyMap<string, Status>, opts: { absent?: Status; preFilterMsg?: string; postFilterMsg?: string } = {}): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (opts.preFilterMsg) msg += ` ${opts.preFilterMsg}.`;
  else {
    const hist = new Map<string, number>();
    for (const s of statuses.values()) for (const r of s.reasons) hist.set(r, (hist.get(r) ?? 0) + 1);
    if (opts.absent && statuses.size < numAllNodes) {
      for (const r of opts.absent.reasons) hist.set(r, (hist.get(r) ?? 0) + numAllNodes - statuses.size);
    }
    const parts = [...hist].map(([r, n]) => `${n} ${r}`).sort(byteOrder);
    if (parts.length) msg += ` ${parts.join(", ")}.`;
  }
  if (opts.postFilterMsg) msg += ` ${opts.postFilterMsg.endsWith(".") ? opts.postFilterMsg : `${opts.postFilterMsg}.`}`;
  return msg;
}

/** Runs the filter plugins in order; the first rejection wins. */
function runFilters(filters: readonly FilterPlugin[], state: CycleState, pod: PodInfo, ni: NodeInfo): Status | null {
  for (let i = 0; i < filters.length; i++) {
    const s = filters[i].filter(state, pod, ni);
    if (s !== null && s.code !== Code.Success) return s;
  }
  return null;
}

function activeFilters(profile: Profile, state: CycleState): FilterPlugin[] {
  return profile.filter.filter((p) => !state.skipFilter.has(p.name));
}

interface PreFilterOutcome {
  rejected?: Status;
  nodeNames?: Set<string>;
  narrowedBy: string[];
}

function runPreFilters(profile: Profile, state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): PreFilterOutcome {
  const out: PreFilterOutcome = { narrowedBy: [] };
  for (const p of profile.preFilter) {
    const r = p.preFilter(state, pod, nodes);
    if (r === SKIP) {
      state.skipFilter.add(p.name);
      continue;
    }
    if (r === null) continue;
    if ("code" in r) {
      if (r.code !== Code.Success) return { ...out, rejected: r };
      continue;
    }
    if (!r.nodeNames) continue;
    out.narrowedBy.push(p.name);
    out.nodeNames = out.nodeNames ? new Set([...out.nodeNames].filter((n) => r.nodeNames!.has(n))) : new Set(r.nodeNames);
    if (out.nodeNames.size === 0) {
      const msg = out.narrowedBy.length === 1 ? `node(s) didn't satisfy plugin ${out.narrowedBy[0]}` : `node(s) didn't satisfy plugin(s) [${out.narrowedBy.join(" ")}] simultaneously`;
      return { ...out, rejected: status(Code.UnschedulableAndUnresolvable, p.name, msg) };
    }
  }
  return out;
}

/**
 * The preemption dry run's verdict when it finds no candidate: per node, "not helpful" unless
 * the node failed with plain Unschedulable; then "no victims" unless it holds lower-priority
 * pods; else whatever still fails with those pods gone. Returns the candidates it found too.
 */
function preemptionDryRun(profile: Profile, env: PluginEnv, pod: PodInfo, allNodes: readonly NodeInfo[], statuses: ReadonlyMap<string, Status>): { message?: string; candidates: string[] } {
  const policy = pod.pod.spec?.preemptionPolicy;
  if (policy === "Never") return { message: "preemption: not eligible due to preemptionPolicy=Never.", candidates: [] };
  const verdicts = new Map<string, Status>();
  const candidates: string[] = [];
  for (const ni of allNodes) {
    const s = statuses.get(ni.name);
    if (!s || s.code !== Code.Unschedulable) {
      verdicts.set(ni.name, status(Code.UnschedulableAndUnresolvable, "DefaultPreemption", PREEMPTION_NOT_HELPFUL));
      continue;
    }
    const victims = ni.pods.filter((p) => p.priority < pod.priority);
    if (!victims.length) {
      verdicts.set(ni.name, status(Code.UnschedulableAndUnresolvable, "DefaultPreemption", NO_PREEMPTION_VICTIMS));
      continue;
    }
    const trial = ni.clone();
    for (const v of victims) trial.removePod(v.key);
    const nodes = allNodes.map((n) => (n === ni ? trial : n));
    const state = new CycleState(env);
    const pre = runPreFilters(profile, state, pod, nodes);
    const s2 = pre.rejected ?? runFilters(activeFilters(profile, state), state, pod, trial);
    if (s2 === null) candidates.push(ni.name);
    else verdicts.set(ni.name, s2);
  }
  if (candidates.length) return { candidates };
  return { message: `preemption: ${fitErrorMessage(allNodes.length, verdicts)}`, candidates };
}

function fail(profile: Profile, env: PluginEnv, pod: PodInfo, allNodes: readonly NodeInfo[], statuses: Map<string, Status>, extra: { absent?: Status; preFilterMsg?: string } = {}): ScheduleFailure {
  const pre = preemptionDryRun(profile, env, pod, allNodes, statuses);
  const message = fitErrorMessage(allNodes.length, statuses, { ...extra, postFilterMsg: pre.message });
  return { unschedulable: true, message, statuses, preemptionCandidates: pre.candidates };
}

/**
 * Picks a node for `pod` among `nodeInfos` (nodes whose NodeInfo has no node object are ignored).
 * @example schedulePod(pod, cache.nodeInfos(), { random: () => 0 }) // { node: "n1", scores: [...] }
 */
export function schedulePod(pod: Obj, nodeInfos: readonly NodeInfo[], opts: ScheduleOptions = {}): ScheduleResult {
  const profile = opts.profile ?? defaultProfile();
  const env = opts.env ?? {};
  const random = opts.random ?? Math.random;
  const allNodes = nodeInfos.some((n) => !n.node) ? nodeInfos.filter((n) => n.node) : nodeInfos;
  const podInfo = newPodInfo(pod);
  const state = new CycleState(env);
  const statuses = new Map<string, Status>();

  if (allNodes.length === 0) {
    return { unschedulable: true, message: "no nodes available to schedule pods", statuses, preemptionCandidates: [] };
  }

  const pre = runPreFilters(profile, state, podInfo, allNodes);
  if (pre.rejected) {
    for (const n of allNodes) statuses.set(n.name, pre.rejected);
    return fail(profile, env, podInfo, allNodes, statuses, { preFilterMsg: pre.rejected.reasons.join(", ") });
  }
  let nodes = allNodes;
  let absent: Status | undefined;
  if (pre.nodeNames) {
    nodes = allNodes.filter((n) => pre.nodeNames!.has(n.name));
    absent = status(Code.UnschedulableAndUnresolvable, pre.narrowedBy.join(","), `node(s) didn't satisfy plugin(s) [${[...pre.narrowedBy].sort().join(" ")}]`);
  }

  // Filter from the cursor, stopping once enough feasible nodes are found.
  const want = numFeasibleNodesToFind(nodes.length, opts.percentageOfNodesToScore);
  const feasible: NodeInfo[] = [];
  const start = opts.cursor && nodes.length ? opts.cursor.next % nodes.length : 0;
  const filters = activeFilters(profile, state);
  let processed = 0;
  // The rejections matter only when nothing fits: kept in arrays, made a map only then.
  const rejectedNodes: NodeInfo[] = [];
  const rejections: Status[] = [];
  for (let i = 0; i < nodes.length && feasible.length < want; i++) {
    const ni = nodes[(start + i) % nodes.length];
    processed++;
    const s = runFilters(filters, state, podInfo, ni);
    if (s === null) feasible.push(ni);
    else {
      rejectedNodes.push(ni);
      rejections.push(s);
    }
  }
  if (opts.cursor && nodes.length) opts.cursor.next = (start + processed) % nodes.length;

  if (!feasible.length) {
    rejectedNodes.forEach((ni, i) => {
      const s = rejections[i];
      statuses.set(ni.name, isRejected(s) ? s : status(Code.Error, s.plugin, ...s.reasons));
    });
    if (absent) {
      for (const n of allNodes) if (!statuses.has(n.name)) statuses.set(n.name, absent);
    }
    return fail(profile, env, podInfo, allNodes, statuses, { absent });
  }
  if (feasible.length === 1) return { node: feasible[0].name, scores: [], pluginScores: new Map(), evaluated: processed, feasible: 1 };

  // Score.
  for (const p of profile.preScore) {
    if (p.preScore(state, podInfo, feasible, allNodes) === SKIP) state.skipScore.add(p.name);
  }
  const totals = new Array<number>(feasible.length).fill(0);
  const pluginScores = new Map<string, number[]>();
  for (const { plugin, weight } of profile.score) {
    if (state.skipScore.has(plugin.name)) continue;
    const raw = new Array<number>(feasible.length);
    for (let i = 0; i < feasible.length; i++) raw[i] = plugin.score(state, podInfo, feasible[i]);
    plugin.normalize?.(state, podInfo, raw, feasible);
    for (let i = 0; i < feasible.length; i++) {
      raw[i] *= weight;
      totals[i] += raw[i];
    }
    pluginScores.set(plugin.name, raw);
  }
  const scores: NodeScore[] = feasible.map((n, i) => ({ name: n.name, total: totals[i] }));
  return { node: selectHost(scores, random), scores, pluginScores, evaluated: processed, feasible: feasible.length };
}

/** The highest total; ties broken uniformly at random (reservoir sampling, as upstream). */
export function selectHost(scores: readonly NodeScore[], random: () => number): string {
  let best = scores[0];
  let count = 1;
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i];
    if (s.total > best.total) {
      best = s;
      count = 1;
    } else if (s.total === best.total) {
      count++;
      if (Math.floor(random() * count) === 0) best = s;
    }
  }
  return best.name;
}
