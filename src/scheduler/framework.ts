/**
 * The scheduling framework's shared types (upstream pkg/scheduler/framework): plugin statuses,
 * the per-pod precomputed PodInfo, the per-cycle state and the plugin interfaces (the per-node
 * aggregate NodeInfo is in node-info.ts). Plugins receive a PodInfo (the pod object plus what
 * every plugin would otherwise re-derive from it: requests, host ports, parsed affinity terms).
 */
import { parseQuantity } from "../lib/quantity";
import { labelSelectorFromObject, type LabelSelector } from "../lib/selectors";
import type { NodeInfo } from "./node-info";
import { selectorKey } from "./pod-counter";

// NodeInfo lives in its own module; plugins reach its type through this one.
export type { ImageState, NodeInfo, TermCount, TermKind } from "./node-info";

type Obj = Record<string, any>;

export const Code = {
  Success: 0,
  Error: 1,
  Unschedulable: 2,
  UnschedulableAndUnresolvable: 3,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

/** A plugin's verdict; `null` stands for success. */
export interface Status {
  readonly code: Code;
  readonly reasons: string[];
  readonly plugin: string;
}

export function status(code: Code, plugin: string, ...reasons: string[]): Status {
  return { code, reasons, plugin };
}

/** True for the two codes that reject a node (as opposed to an internal error). */
export function isRejected(s: Status | null): boolean {
  return s !== null && (s.code === Code.Unschedulable || s.code === Code.UnschedulableAndUnresolvable);
}

export const MAX_NODE_SCORE = 100;

// ----- resources -----

/** Requests or capacity in the scheduler's units: milli-CPU, bytes, a pod count, and extended resources. */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended resources and hugepages, by name (whole units, or bytes for hugepages). */
  scalar: Map<string, number>;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

export function cloneResource(r: Resource): Resource {
  return { ...r, scalar: new Map(r.scalar) };
}

/** Whether a resource name is one the scheduler accounts as a scalar (extended resources, hugepages). */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith("hugepages-") || name.startsWith("attachable-volumes-")) return true;
  if (name.startsWith("requests.")) return false;
  // Extended resources and prefixed native resources are both domain-qualified.
  return name.includes("/");
}

function valueOf(name: string, q: unknown): number {
  const p = parseQuantity(q as string);
  if (!p) return 0;
  // CPU in millicores; everything else in whole units (rounded up, as Value() does).
  return name === "cpu" ? p.milli : Math.ceil(p.milli / 1000);
}

/** A core/v1 ResourceList as a Resource. */
export function resourceFromList(list: Obj | undefined): Resource {
  const r = emptyResource();
  addList(r, list);
  return r;
}

function addList(r: Resource, list: Obj | undefined): void {
  if (!list) return;
  for (const [name, q] of Object.entries(list)) {
    const v = valueOf(name, q);
    if (name === "cpu") r.milliCPU += v;
    else if (name === "memory") r.memory += v;
    else if (name === "ephemeral-storage") r.ephemeralStorage += v;
    else if (name === "pods") r.allowedPodNumber += v;
    else if (isScalarResourceName(name)) r.scalar.set(name, (r.scalar.get(name) ?? 0) + v);
  }
}

/** Adds `r` into `into`. */
export function addResource(into: Resource, r: Resource): void {
  into.milliCPU += r.milliCPU;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  into.allowedPodNumber += r.allowedPodNumber;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + v);
}

/** Takes `r` out of `into`. */
export function subtractResource(into: Resource, r: Resource): void {
  into.milliCPU -= r.milliCPU;
  into.memory -= r.memory;
  into.ephemeralStorage -= r.ephemeralStorage;
  into.allowedPodNumber -= r.allowedPodNumber;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) - v);
}

function maxInto(into: Resource, r: Resource): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
}

/** The scheduler's defaults for containers that request no CPU or memory (used by scoring only). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/**
 * A container's effective requests: requests, with limits standing in for requests that are
 * unset (what API defaulting does). With `nonZero`, CPU and memory that are absent take the
 * scheduler's defaults.
 */
export function containerRequests(c: Obj, nonZero = false): Resource {
  const req: Obj = c.resources?.requests ?? {};
  const lim: Obj = c.resources?.limits ?? {};
  const merged: Obj = { ...lim, ...req };
  const r = resourceFromList(merged);
  if (nonZero) {
    if (merged.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (merged.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

function isSidecar(c: Obj): boolean {
  return c.restartPolicy === "Always";
}

/**
 * A pod's requests as upstream computes them: the sum of the app containers plus restartable
 * init containers (sidecars), or the largest init-time need when that is bigger (each regular
 * init container runs next to the sidecars started before it), plus spec.overhead.
 */
export function podRequests(pod: Obj, nonZero = false): Resource {
  const spec = pod.spec ?? {};
  const reqs = emptyResource();
  for (const c of spec.containers ?? []) addResource(reqs, containerRequests(c, nonZero));
  const sidecars = emptyResource();
  const initMax = emptyResource();
  for (const c of spec.initContainers ?? []) {
    const cr = containerRequests(c, nonZero);
    let atInit: Resource;
    if (isSidecar(c)) {
      addResource(reqs, cr);
      addResource(sidecars, cr);
      atInit = sidecars;
    } else {
      atInit = cloneResource(cr);
      addResource(atInit, sidecars);
    }
    maxInto(initMax, atInit);
  }
  maxInto(reqs, initMax);
  if (spec.overhead) addResource(reqs, resourceFromList(spec.overhead));
  reqs.allowedPodNumber = 0;
  return reqs;
}

// ----- host ports -----

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** Host ports of the containers and the sidecars (init containers that keep running). */
export function hostPortsOf(pod: Obj): HostPort[] {
  const out: HostPort[] = [];
  const spec = pod.spec ?? {};
  const add = (c: Obj) => {
    for (const p of c.ports ?? []) {
      if (!(p.hostPort > 0)) continue;
      out.push({ ip: p.hostIP || "0.0.0.0", protocol: p.protocol || "TCP", port: p.hostPort });
    }
  };
  for (const c of spec.initContainers ?? []) if (isSidecar(c)) add(c);
  for (const c of spec.containers ?? []) add(c);
  return out;
}

export function portKey(hp: HostPort): string {
  return `${hp.ip}/${hp.protocol}/${hp.port}`;
}

// ----- pod affinity terms -----

/** A parsed PodAffinityTerm. */
export interface AffinityTerm {
  readonly topologyKey: string;
  readonly selector: LabelSelector;
  /** Namespaces the term applies to (the pod's own when none are listed and no namespaceSelector). */
  readonly namespaces: ReadonlySet<string>;
  /** Set when the term has a namespaceSelector. */
  readonly namespaceSelector?: LabelSelector;
  /**
   * Tells terms apart by which pods they select (namespaces and selectors; not topologyKey).
   * Equal keys are one string, so a map keyed by them compares pointers, not characters.
   */
  readonly matchKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

/** Resolves a namespace's labels (for namespaceSelector); undefined when unknown. */
export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

function selectorOrNothing(sel: Obj | undefined): LabelSelector {
  try {
    return labelSelectorFromObject(sel as Obj);
  } catch {
    return { matches: () => false, empty: false, toString: () => "" };
  }
}

/**
 * The selector of a term, with matchLabelKeys/mismatchLabelKeys folded in from the owning pod's
 * labels (as the apiserver does when it admits such a pod).
 */
function termSelector(term: Obj, podLabels: Record<string, string>): LabelSelector {
  const sel: Obj | undefined = term.labelSelector;
  const extra: Obj[] = [];
  for (const k of term.matchLabelKeys ?? []) if (podLabels[k] !== undefined) extra.push({ key: k, operator: "In", values: [podLabels[k]] });
  for (const k of term.mismatchLabelKeys ?? []) if (podLabels[k] !== undefined) extra.push({ key: k, operator: "NotIn", values: [podLabels[k]] });
  if (!extra.length) return selectorOrNothing(sel);
  if (!sel) return selectorOrNothing(undefined);
  return selectorOrNothing({ ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra] });
}

const internedKeys = new Map<string, string>();
/** Past this many distinct term keys the table starts over (only sharing is lost). */
const MAX_INTERNED = 10_000;

function interned(key: string): string {
  const found = internedKeys.get(key);
  if (found !== undefined) return found;
  if (internedKeys.size >= MAX_INTERNED) internedKeys.clear();
  internedKeys.set(key, key);
  return key;
}

export function parseAffinityTerm(term: Obj, pod: Obj): AffinityTerm {
  const labels = pod.metadata?.labels ?? {};
  const ns = new Set<string>(term.namespaces ?? []);
  const out: { -readonly [K in keyof AffinityTerm]: AffinityTerm[K] } = {
    topologyKey: term.topologyKey ?? "",
    selector: termSelector(term, labels),
    namespaces: ns,
    matchKey: "",
  };
  if (term.namespaceSelector) out.namespaceSelector = selectorOrNothing(term.namespaceSelector);
  else if (ns.size === 0) ns.add(pod.metadata?.namespace ?? "");
  out.matchKey = interned(JSON.stringify([[...ns].sort(), out.namespaceSelector ? selectorKey(out.namespaceSelector) : null, selectorKey(out.selector)]));
  return out;
}

/** Whether `term` (of some pod) selects `pod`. */
export function termMatches(term: AffinityTerm, pod: PodInfo, nsLabels?: NamespaceLabels): boolean {
  if (!term.namespaces.has(pod.namespace)) {
    if (!term.namespaceSelector) return false;
    if (!term.namespaceSelector.empty) {
      const labels = nsLabels?.(pod.namespace);
      if (!labels || !term.namespaceSelector.matches(labels)) return false;
    }
  }
  return term.selector.matches(pod.labels);
}

// ----- PodInfo -----

/** A pod with everything the plugins derive from it, computed once. */
export interface PodInfo {
  readonly pod: Obj;
  /** "namespace/name" */
  readonly key: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly priority: number;
  readonly requests: Resource;
  /** Requests with the scheduler's non-zero defaults for CPU and memory (for scoring). */
  readonly nonZeroRequests: Resource;
  readonly hostPorts: HostPort[];
  readonly requiredAffinity: AffinityTerm[];
  readonly requiredAntiAffinity: AffinityTerm[];
  readonly preferredAffinity: WeightedAffinityTerm[];
  readonly preferredAntiAffinity: WeightedAffinityTerm[];
  readonly terminating: boolean;
}

export function newPodInfo(pod: Obj): PodInfo {
  const m = pod.metadata ?? {};
  const aff = pod.spec?.affinity ?? {};
  const pa = aff.podAffinity ?? {};
  const paa = aff.podAntiAffinity ?? {};
  const weighted = (list: Obj[] | undefined): WeightedAffinityTerm[] =>
    (list ?? []).map((w) => ({ ...parseAffinityTerm(w.podAffinityTerm ?? {}, pod), weight: Number(w.weight ?? 0) }));
  return {
    pod,
    key: `${m.namespace ?? ""}/${m.name}`,
    namespace: m.namespace ?? "",
    labels: m.labels ?? {},
    priority: typeof pod.spec?.priority === "number" ? pod.spec.priority : 0,
    requests: podRequests(pod),
    nonZeroRequests: podRequests(pod, true),
    hostPorts: hostPortsOf(pod),
    requiredAffinity: (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => parseAffinityTerm(t, pod)),
    requiredAntiAffinity: (paa.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t: Obj) => parseAffinityTerm(t, pod)),
    preferredAffinity: weighted(pa.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: weighted(paa.preferredDuringSchedulingIgnoredDuringExecution),
    terminating: Boolean(m.deletionTimestamp),
  };
}

export function hasAffinity(p: PodInfo): boolean {
  return p.requiredAffinity.length + p.requiredAntiAffinity.length + p.preferredAffinity.length + p.preferredAntiAffinity.length > 0;
}


// ----- cycle state and plugins -----

/** Data the plugins of one scheduling attempt share (PreFilter/PreScore results). */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter/PreScore said there is nothing to do for this pod. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();

  /** Options the plugins may consult (namespace labels, the default spreading selector). */
  constructor(readonly env: PluginEnv = {}) {}

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

/** What plugins may need from outside the snapshot of nodes. */
export interface PluginEnv {
  namespaceLabels?: NamespaceLabels;
  /**
   * The selector of the Services and controller (ReplicaSet, StatefulSet, ...) that own the
   * pod, for PodTopologySpread's system default constraints; undefined or empty for none.
   */
  defaultSpreadSelector?: (pod: Obj) => LabelSelector | undefined;
}

/** A PreFilter result: a subset of nodes worth filtering (undefined: all of them). */
export interface PreFilterResult {
  nodeNames?: ReadonlySet<string>;
}

/** The value PreFilter/PreScore return to say the plugin has nothing to do for this pod. */
export const SKIP = "skip" as const;

export interface Plugin {
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): PreFilterResult | Status | typeof SKIP | null;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): Status | null;
}

export interface PreScorePlugin extends Plugin {
  /** `nodes` are the feasible nodes; `allNodes` the whole snapshot. */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], allNodes: readonly NodeInfo[]): Status | typeof SKIP | null;
}

export interface ScorePlugin extends Plugin {
  /** 0–100 unless normalize maps it there. */
  score(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number;
  /** Rewrites the raw scores of every feasible node in place. */
  normalize?(state: CycleState, pod: PodInfo, scores: number[], nodes: readonly NodeInfo[]): void;
}

export function isPreFilter(p: Plugin): p is PreFilterPlugin {
  return typeof (p as PreFilterPlugin).preFilter === "function";
}
export function isFilter(p: Plugin): p is FilterPlugin {
  return typeof (p as FilterPlugin).filter === "function";
}
export function isPreScore(p: Plugin): p is PreScorePlugin {
  return typeof (p as PreScorePlugin).preScore === "function";
}
export function isScore(p: Plugin): p is ScorePlugin {
  return typeof (p as ScorePlugin).score === "function";
}

/**
 * Upstream's DefaultNormalizeScore: scales to 0..max by the largest score; with `reverse`,
 * flips so the smallest raw value scores highest.
 */
export function defaultNormalizeScore(max: number, reverse: boolean, scores: number[]): void {
  let maxCount = 0;
  for (const s of scores) if (s > maxCount) maxCount = s;
  if (maxCount === 0) {
    if (reverse) scores.fill(max);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((max * scores[i]) / maxCount);
    if (reverse) s = max - s;
    scores[i] = s;
  }
}
