/**
 * The ReplicaSet controller (upstream pkg/controller/replicaset): keeps spec.replicas active
 * pods matching the selector, adopting orphans and releasing pods that stopped matching, and
 * reports replicas, fullyLabeled, ready and available counts in status.
 */
import { StatusError } from "../../api/status";
import { labelSelectorFromObject, type LabelSelector } from "../../lib/selectors";
import { findResource, type ResourceType } from "../../resources/registry";
import { controllerRefOf, keyOf, splitKey, type Change, type Controller } from "../controller";
import type { ReconcileResult } from "../runtime";
import type { ClusterView } from "../view";
import { claimObjects } from "./claim";
import { controllerRefTo, isPodActive, podFromTemplate } from "./pods";
import { podsToDelete } from "./ranking";
import { calculateReplicaSetStatus, replicaSetStatusUnchanged, replicasOf } from "./status";

type Obj = Record<string, any>;

export const REPLICASET_CONTROLLER = "replicaset";

/** Records a core/v1 Event about `obj` (type "Normal" or "Warning"). */
export type RecordEvent = (obj: Obj, type: "Normal" | "Warning", reason: string, message: string) => void;

export interface ReplicaSetControllerOptions {
  recordEvent?: RecordEvent;
  /** Most pods created or deleted in one pass (upstream's --replicaset burst, 500). */
  burstReplicas?: number;
}

const POD = findResource("", "v1", "pods")!;
const RS = findResource("apps", "v1", "replicasets")!;
/** Creations start with one pod and double each batch that fully succeeds. */
const SLOW_START_INITIAL_BATCH = 1;

function isNotFound(e: unknown): boolean {
  return e instanceof StatusError && e.code === 404;
}

function isNamespaceTerminating(e: unknown): boolean {
  return e instanceof StatusError && (e.details?.causes ?? []).some((c) => c.reason === "NamespaceTerminating");
}

function errorOf(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Calls `fn` `count` times in batches of 1, 2, 4, ...; a batch runs to its end, but after a batch
 * with a failure no further batch starts, so a quota or admission error costs one call, not
 * `count`. Returns the successes and the first error.
 * @example slowStartBatch(10, 1, create) // batches of 1, 2, 4, 3
 */
export function slowStartBatch(count: number, initial: number, fn: () => void): { successes: number; error?: Error } {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    let error: Error | undefined;
    for (let i = 0; i < batch; i++) {
      try {
        fn();
        successes++;
      } catch (e) {
        error ??= errorOf(e);
      }
    }
    if (error) return { successes, error };
    remaining -= batch;
  }
  return { successes };
}

function labelsChanged(a: Obj | undefined, b: Obj | undefined): boolean {
  return JSON.stringify(a?.metadata?.labels ?? {}) !== JSON.stringify(b?.metadata?.labels ?? {});
}

function selectorOf(rs: Obj): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(rs.spec?.selector);
  } catch {
    return undefined;
  }
}

/**
 * The ReplicaSet controller.
 * @example runtime.register(replicaSetController(view, { recordEvent }))
 */
export function replicaSetController(view: ClusterView, opts: ReplicaSetControllerOptions = {}): Controller {
  const record: RecordEvent = opts.recordEvent ?? (() => {});
  const burst = opts.burstReplicas ?? 500;

  /** The key of the ReplicaSet a controller reference points at, if it still exists with that uid. */
  function ownerKey(namespace: string, ref: Obj | undefined): string | undefined {
    if (!ref || ref.kind !== "ReplicaSet") return undefined;
    const rs = view.get(RS, namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? keyOf(rs) : undefined;
  }

  /** ReplicaSets whose (non-empty) selector matches an orphan pod: candidates to adopt it. */
  function adoptersOf(pod: Obj): string[] {
    if (!pod.metadata?.labels || !Object.keys(pod.metadata.labels).length) return [];
    return view
      .list(RS, pod.metadata.namespace)
      .filter((rs) => {
        const sel = selectorOf(rs);
        return sel !== undefined && !sel.empty && sel.matches(pod.metadata.labels);
      })
      .map(keyOf);
  }

  function podKeys(change: Change): string[] {
    const pod = change.obj;
    const ns = pod.metadata?.namespace ?? "";
    const old = change.old;
    const out = new Set<string>();
    const add = (k: string | undefined) => k && out.add(k);
    if (change.deleted) {
      add(ownerKey(ns, controllerRefOf(pod)));
      return [...out];
    }
    if (old && !change.created && old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return [];
    const changedLabels = !change.created && labelsChanged(old, pod);
    if (pod.metadata?.deletionTimestamp) {
      // Being deleted: its ReplicaSet can start a replacement now.
      add(ownerKey(ns, controllerRefOf(pod)));
      if (changedLabels && old) add(ownerKey(ns, controllerRefOf(old)));
      return [...out];
    }
    const cur = controllerRefOf(pod);
    const prev = old ? controllerRefOf(old) : undefined;
    const refChanged = !change.created && JSON.stringify(cur ?? null) !== JSON.stringify(prev ?? null);
    if (refChanged && prev) add(ownerKey(ns, prev));
    if (cur) {
      add(ownerKey(ns, cur));
      return [...out];
    }
    if (change.created || changedLabels || refChanged) for (const k of adoptersOf(pod)) add(k);
    return [...out];
  }

  function createPods(rs: Obj, count: number): Error | undefined {
    const ns = rs.metadata.namespace;
    const ref = controllerRefTo(rs, "apps/v1", "ReplicaSet");
    const { error } = slowStartBatch(count, SLOW_START_INITIAL_BATCH, () => {
      const pod = podFromTemplate(rs.spec.template ?? {}, ns, rs.metadata.name, ref);
      if (!pod.metadata.labels) throw new Error("unable to create pods, no labels");
      let created: Obj;
      try {
        created = view.create(POD, pod);
      } catch (e) {
        // A terminating namespace takes the ReplicaSet with it; nothing to report.
        if (isNamespaceTerminating(e)) return;
        record(rs, "Warning", "FailedCreate", `Error creating: ${errorOf(e).message}`);
        throw e;
      }
      record(rs, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
    });
    return error;
  }

  /** Active pods of every ReplicaSet controlled by the same owner as `rs` (itself included). */
  function relatedPods(rs: Obj, allPods: readonly Obj[]): Obj[] {
    const owner = controllerRefOf(rs);
    if (!owner) return [];
    const siblings = view.list(RS, rs.metadata.namespace).filter((r) => controllerRefOf(r)?.uid === owner.uid);
    const uids = new Set(siblings.map((r) => r.metadata.uid));
    return allPods.filter((p) => uids.has(controllerRefOf(p)?.uid));
  }

  function deletePods(rs: Obj, pods: readonly Obj[], allPods: readonly Obj[], count: number): Error | undefined {
    let first: Error | undefined;
    for (const pod of podsToDelete(pods, relatedPods(rs, allPods), count, view.now())) {
      try {
        if (!view.delete(POD, pod.metadata.namespace, pod.metadata.name)) continue;
      } catch (e) {
        if (isNotFound(e)) continue;
        record(rs, "Warning", "FailedDelete", `Error deleting: ${errorOf(e).message}`);
        first ??= errorOf(e);
        continue;
      }
      record(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata.name}`);
    }
    return first;
  }

  function manageReplicas(rs: Obj, pods: readonly Obj[], allPods: readonly Obj[]): Error | undefined {
    const diff = pods.length - replicasOf(rs);
    if (diff < 0) return createPods(rs, Math.min(-diff, burst));
    if (diff > 0) return deletePods(rs, pods, allPods, Math.min(diff, burst));
    return undefined;
  }

  return {
    name: REPLICASET_CONTROLLER,

    keysFor(change: Change): string[] {
      if (change.rt.group === "apps" && change.rt.kind === "ReplicaSet") return [keyOf(change.obj)];
      if (change.rt.group === "" && change.rt.kind === "Pod") return podKeys(change);
      return [];
    },

    reconcile(key: string): ReconcileResult | void {
      const { namespace, name } = splitKey(key);
      const rs = view.get(RS, namespace, name);
      if (!rs) return;
      const selector = selectorOf(rs);
      if (!selector) {
        record(rs, "Warning", "InvalidSelector", "the ReplicaSet has an invalid label selector");
        return;
      }
      // Every pod of the namespace: owned pods that stopped matching must be released too.
      const allPods = view.list(POD, namespace);
      const pods = claimObjects(
        { view, rt: POD, owner: rs, selector, controllerRef: controllerRefTo(rs, "apps/v1", "ReplicaSet") },
        allPods.filter(isPodActive),
      );
      const manageError = rs.metadata.deletionTimestamp ? undefined : manageReplicas(rs, pods, allPods);
      const { status, nextAvailableInMs } = calculateReplicaSetStatus(rs, pods, manageError, view.now(), view.timestamp());
      if (!replicaSetStatusUnchanged(rs, status)) {
        const next = structuredClone(rs);
        next.status = { ...status };
        if (rs.metadata.generation) next.status.observedGeneration = rs.metadata.generation;
        view.updateStatus(RS, next);
      }
      if (manageError) throw manageError;
      if (nextAvailableInMs !== undefined) return { requeueAfterMs: nextAvailableInMs };
    },
  };
}

