/**
 * The scheduler (upstream kube-scheduler's scheduleOne loop, as a reconciler): a pending pod
 * for the default scheduler is placed on a node and bound with a compare-and-swap write of
 * spec.nodeName; a pod nothing fits gets PodScheduled=False/Unschedulable and a FailedScheduling
 * event, and waits until a node is added or changes, or a bound pod goes away. NodeInfos live
 * in a cache kept current from the change feed, built once from the store when first needed.
 */
import { StatusError } from "../../api/status";
import { findResource, type ResourceType } from "../../resources/registry";
import { buildCache, occupiesNode, podKey, SchedulerCache } from "../../scheduler/cache";
import type { PluginEnv } from "../../scheduler/framework";
import type { Profile } from "../../scheduler/plugins/registry";
import { schedulePod } from "../../scheduler/scheduler";
import { splitKey, type Change, type Controller } from "../controller";
import type { ReconcileResult } from "../runtime";
import type { ClusterView } from "../view";
import { spreadSelectors } from "./spread-selectors";

type Obj = Record<string, any>;

export const SCHEDULER_CONTROLLER = "scheduler";
export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

/** Records a core/v1 Event about `obj` (type "Normal" or "Warning"). */
export type RecordEvent = (obj: Obj, type: "Normal" | "Warning", reason: string, message: string) => void;

export interface SchedulerControllerOptions {
  recordEvent?: RecordEvent;
  /** [0, 1); breaks ties between equally scored nodes (inject a fixed one in tests). */
  random?: () => number;
  /** Scheduler names this controller serves (default: default-scheduler). */
  schedulerNames?: readonly string[];
  profile?: Profile;
  percentageOfNodesToScore?: number;
}

/** The controller, with its cache and pending set exposed for checks. */
export interface SchedulerController extends Controller {
  /** The cache, built on first use (undefined before). */
  readonly cache: SchedulerCache | undefined;
  /** Keys of the pods last found unschedulable (undefined until known). */
  readonly unschedulable: ReadonlySet<string> | undefined;
  /** Rebuilds the cache from the store and reports whether it matched the incremental one. */
  verifyCache(): boolean;
}

const POD = findResource("", "v1", "pods")!;
const NODE = findResource("", "v1", "nodes")!;
const NAMESPACE = findResource("", "v1", "namespaces");

function isPod(rt: ResourceType): boolean {
  return rt.group === "" && rt.resource === "pods";
}
function isNode(rt: ResourceType): boolean {
  return rt.group === "" && rt.resource === "nodes";
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Whether a node change can make an unschedulable pod fit (upstream's node update events). */
export function nodeChangeMayHelp(old: Obj | undefined, cur: Obj): boolean {
  if (!old) return true;
  return (
    !same(old.metadata?.labels, cur.metadata?.labels) ||
    !same(old.spec?.taints, cur.spec?.taints) ||
    Boolean(old.spec?.unschedulable) !== Boolean(cur.spec?.unschedulable) ||
    !same(old.status?.allocatable, cur.status?.allocatable) ||
    !same(old.status?.images, cur.status?.images)
  );
}

/** Whether anything but status and bookkeeping metadata changed (upstream's isPodUpdated). */
export function podUpdated(old: Obj, cur: Obj): boolean {
  const strip = (p: Obj) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _m, finalizers: _f, ...meta } = p.metadata ?? {};
    return { metadata: meta, spec: p.spec };
  };
  return !same(strip(old), strip(cur));
}

function podScheduledCondition(pod: Obj): Obj | undefined {
  return (pod.status?.conditions ?? []).find((c: Obj) => c.type === "PodScheduled");
}

/** Pods this scheduler is responsible for and which still wait for a node. */
export function isPendingForUs(pod: Obj, names: readonly string[] = [DEFAULT_SCHEDULER_NAME]): boolean {
  if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return false;
  return names.includes(pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME);
}

function isGated(pod: Obj): boolean {
  return (pod.spec?.schedulingGates ?? []).length > 0;
}

function sameCondition(a: Obj | undefined, b: Obj): boolean {
  return a !== undefined && a.status === b.status && a.reason === b.reason && a.message === b.message;
}

/** Sets (or replaces) a condition, keeping lastTransitionTime when the status is unchanged. */
function withCondition(pod: Obj, cond: Obj): Obj {
  const conditions: Obj[] = [...(pod.status?.conditions ?? [])];
  const i = conditions.findIndex((c) => c.type === cond.type);
  if (i >= 0) {
    const prev = conditions[i];
    conditions[i] = prev.status === cond.status ? { ...cond, lastTransitionTime: prev.lastTransitionTime ?? cond.lastTransitionTime } : cond;
  } else conditions.push(cond);
  return { ...pod, status: { ...(pod.status ?? {}), conditions } };
}

/**
 * The scheduler controller.
 * @example runtime.register(schedulerController(view, { recordEvent }))
 */
export function schedulerController(view: ClusterView, opts: SchedulerControllerOptions = {}): SchedulerController {
  const record: RecordEvent = opts.recordEvent ?? (() => {});
  const random = opts.random ?? Math.random;
  const names = opts.schedulerNames ?? [DEFAULT_SCHEDULER_NAME];
  const cursor = { next: 0 };
  let cache: SchedulerCache | undefined;
  let unschedulable: Set<string> | undefined;
  /** The unschedulable pods that no helpful change has queued again yet. */
  let parked: Set<string> | undefined;

  function listCache(): SchedulerCache {
    return buildCache(view.list(NODE, undefined), view.list(POD, undefined));
  }

  function ensureCache(): SchedulerCache {
    return (cache ??= listCache());
  }

  /** The pods waiting with PodScheduled=False/Unschedulable, read from the store the first time. */
  function ensureUnschedulable(): Set<string> {
    if (unschedulable) return unschedulable;
    unschedulable = new Set();
    for (const p of view.list(POD, undefined)) {
      if (!isPendingForUs(p, names)) continue;
      const c = podScheduledCondition(p);
      if (c?.status === "False" && c.reason === "Unschedulable") unschedulable.add(podKey(p));
    }
    parked = new Set(unschedulable);
    return unschedulable;
  }

  /**
   * The waiting pods not queued since they last failed, and forgets them: they are queued now.
   * A burst of helpful changes (a drain, a namespace going away) queues each pod once, not once
   * per change; a pod that fails again is parked again.
   */
  function wakeUnschedulable(): string[] {
    ensureUnschedulable();
    if (!parked!.size) return [];
    const keys = [...parked!];
    parked!.clear();
    return keys;
  }

  function forgetWaiting(key: string): void {
    unschedulable?.delete(key);
    parked?.delete(key);
  }

  const spread = spreadSelectors(view);

  const env: PluginEnv = {
    namespaceLabels: (ns) => (NAMESPACE ? view.get(NAMESPACE, "", ns)?.metadata?.labels : undefined),
    defaultSpreadSelector: (pod) => spread.selectorFor(pod),
  };

  function podKeys(change: Change): string[] {
    const pod = change.obj;
    const key = podKey(pod);
    if (change.deleted) {
      forgetWaiting(key);
      const wasAccounted = cache?.nodeOf(key) !== undefined || Boolean(pod.spec?.nodeName);
      cache?.removePod(key);
      return wasAccounted ? wakeUnschedulable() : [];
    }
    if (pod.spec?.nodeName) {
      forgetWaiting(key);
      const before = cache?.nodeOf(key);
      cache?.addOrUpdatePod(pod);
      // A pod that finished frees its node's room.
      if (before !== undefined && !occupiesNode(pod)) return wakeUnschedulable();
      return [];
    }
    cache?.removePod(key);
    if (!isPendingForUs(pod, names)) {
      forgetWaiting(key);
      return [];
    }
    // Status-only writes (our own condition updates among them) cannot make a pod fit.
    if (!change.created && change.old && !podUpdated(change.old, pod)) return [];
    return [key];
  }

  function nodeKeys(change: Change): string[] {
    const node = change.obj;
    if (change.deleted) {
      cache?.removeNode(node.metadata.name);
      return [];
    }
    cache?.addOrUpdateNode(node);
    return nodeChangeMayHelp(change.created ? undefined : change.old, node) ? wakeUnschedulable() : [];
  }

  function bind(pod: Obj, nodeName: string): void {
    const cond = { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: view.timestamp() };
    // `pod` is the view's fresh copy and withCondition copies what it changes: no clone needed.
    const next = withCondition(pod, cond);
    next.spec = { ...next.spec, nodeName };
    // One CAS write on the resourceVersion we read: a concurrent change makes it a 409 and a retry.
    const stored = view.bind(POD, next);
    ensureCache().addOrUpdatePod(stored);
    forgetWaiting(podKey(pod));
    record(stored, "Normal", "Scheduled", `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`);
  }

  function markUnschedulable(pod: Obj, message: string): void {
    ensureUnschedulable().add(podKey(pod));
    parked!.add(podKey(pod));
    const cond = { type: "PodScheduled", status: "False", lastProbeTime: null, lastTransitionTime: view.timestamp(), reason: "Unschedulable", message };
    if (!sameCondition(podScheduledCondition(pod), cond)) {
      view.updateStatus(POD, withCondition(pod, cond));
    }
    record(pod, "Warning", "FailedScheduling", message);
  }

  function reconcile(key: string): ReconcileResult | void {
    const { namespace, name } = splitKey(key);
    const pod = view.get(POD, namespace, name);
    if (!pod || !isPendingForUs(pod, names)) {
      forgetWaiting(key);
      return;
    }
    if (isGated(pod)) return;
    const c = ensureCache();
    const result = schedulePod(pod, c.nodeInfos(), { random, cursor, env, profile: opts.profile, percentageOfNodesToScore: opts.percentageOfNodesToScore });
    if ("node" in result) {
      try {
        bind(pod, result.node);
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) return;
        throw e;
      }
      return;
    }
    markUnschedulable(pod, result.message);
  }

  return {
    name: SCHEDULER_CONTROLLER,
    get cache() {
      return cache;
    },
    get unschedulable() {
      return unschedulable;
    },
    keysFor(change: Change): string[] {
      spread.observe(change);
      if (isPod(change.rt)) return podKeys(change);
      if (isNode(change.rt)) return nodeKeys(change);
      return [];
    },
    reconcile,
    verifyCache(): boolean {
      if (!cache) return true;
      const fresh = listCache();
      const ok = same(cache.dump(), fresh.dump());
      if (!ok) cache = fresh;
      return ok;
    },
  };
}
