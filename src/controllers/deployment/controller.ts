/**
 * The Deployment controller (upstream pkg/controller/deployment): wiring, event handlers and
 * the per-key sync that claims the deployment's ReplicaSets and hands over to scaling, a
 * rollout strategy or a status-only pass.
 */
import { labelSelectorFromObject, type LabelSelector } from "../../lib/selectors";
import { controllerRefOf, keyOf, splitKey, type Change, type Controller } from "../controller";
import { claimObjects } from "../replicaset/claim";
import type { RecordEvent } from "../replicaset/controller";
import { controllerRefTo } from "../replicaset/pods";
import type { ReconcileResult } from "../runtime";
import type { ClusterView } from "../view";
import { podMapFor, rolloutRecreate } from "./recreate";
import { rolloutRolling } from "./rolling";
import { checkPausedConditions, isScalingEvent, sync, syncStatusOnly } from "./sync";
import { DEPLOYMENT, REPLICASET, type SyncContext, writeDeploymentStatus } from "./sync-context";

type Obj = Record<string, any>;

export const DEPLOYMENT_CONTROLLER = "deployment";

export interface DeploymentControllerOptions {
  recordEvent?: RecordEvent;
}

function selectorOf(d: Obj): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(d.spec?.selector);
  } catch {
    return undefined;
  }
}

function labelsChanged(a: Obj | undefined, b: Obj | undefined): boolean {
  return JSON.stringify(a?.metadata?.labels ?? {}) !== JSON.stringify(b?.metadata?.labels ?? {});
}

function selectsAll(d: Obj): boolean {
  const s = d.spec?.selector;
  return !!s && typeof s === "object" && Object.keys(s).every((k) => s[k] === undefined || s[k] === null || (typeof s[k] === "object" && Object.keys(s[k]).length === 0));
}

/**
 * The Deployment controller.
 * @example runtime.register(deploymentController(view, { recordEvent }))
 */
export function deploymentController(view: ClusterView, opts: DeploymentControllerOptions = {}): Controller {
  const record: RecordEvent = opts.recordEvent ?? (() => {});

  /** The deployment a controller reference points at, if it still exists with that uid. */
  function deploymentFor(namespace: string, ref: Obj | undefined): Obj | undefined {
    if (!ref || ref.kind !== "Deployment") return undefined;
    const d = view.get(DEPLOYMENT, namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  /** Deployments whose (non-empty) selector matches an orphan ReplicaSet: candidates to adopt it. */
  function adoptersOf(rs: Obj): string[] {
    if (!rs.metadata?.labels || !Object.keys(rs.metadata.labels).length) return [];
    return view
      .list(DEPLOYMENT, rs.metadata.namespace)
      .filter((d) => {
        const sel = selectorOf(d);
        return sel !== undefined && !sel.empty && sel.matches(rs.metadata.labels);
      })
      .map(keyOf);
  }

  function replicaSetKeys(change: Change): string[] {
    const rs = change.obj;
    const ns = rs.metadata?.namespace ?? "";
    const out = new Set<string>();
    const add = (d: Obj | undefined) => d && out.add(keyOf(d));
    const cur = controllerRefOf(rs);
    if (change.deleted || (change.created && rs.metadata?.deletionTimestamp)) {
      add(deploymentFor(ns, cur));
      return [...out];
    }
    if (change.created) {
      if (cur) add(deploymentFor(ns, cur));
      else for (const k of adoptersOf(rs)) out.add(k);
      return [...out];
    }
    const old = change.old;
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return [];
    const prev = old ? controllerRefOf(old) : undefined;
    const refChanged = JSON.stringify(cur ?? null) !== JSON.stringify(prev ?? null);
    if (refChanged && prev) add(deploymentFor(ns, prev));
    if (cur) add(deploymentFor(ns, cur));
    else if (labelsChanged(old, rs) || refChanged) for (const k of adoptersOf(rs)) out.add(k);
    return [...out];
  }

  /** A Recreate deployment waits for its old pods to be gone: their deletion may unblock it. */
  function podKeys(change: Change): string[] {
    if (!change.deleted) return [];
    const pod = change.obj;
    const ns = pod.metadata?.namespace ?? "";
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== "ReplicaSet") return [];
    const rs = view.get(REPLICASET, ns, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return [];
    const d = deploymentFor(ns, controllerRefOf(rs));
    return d && d.spec?.strategy?.type === "Recreate" ? [keyOf(d)] : [];
  }

  /** The ReplicaSets the deployment controls, after adopting matching orphans and releasing strays. */
  function claimReplicaSets(d: Obj, selector: LabelSelector): Obj[] {
    return claimObjects({ view, rt: REPLICASET, owner: d, selector, controllerRef: controllerRefTo(d, "apps/v1", "Deployment") }, view.list(REPLICASET, d.metadata.namespace));
  }

  return {
    name: DEPLOYMENT_CONTROLLER,

    keysFor(change: Change): string[] {
      const { group, kind } = change.rt;
      if (group === "apps" && kind === "Deployment") return [keyOf(change.obj)];
      if (group === "apps" && kind === "ReplicaSet") return replicaSetKeys(change);
      if (group === "" && kind === "Pod") return podKeys(change);
      return [];
    },

    reconcile(key: string): ReconcileResult | void {
      const { namespace, name } = splitKey(key);
      const d = view.get(DEPLOYMENT, namespace, name);
      if (!d) return;
      const ctx: SyncContext = { view, recordEvent: record, d, rsList: [] };
      if (selectsAll(d)) {
        record(d, "Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
        if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
          d.status = { ...(d.status ?? {}), observedGeneration: d.metadata.generation };
          writeDeploymentStatus(ctx);
        }
        return;
      }
      const selector = selectorOf(d);
      if (!selector) {
        record(d, "Warning", "InvalidSelector", "This deployment has an invalid label selector.");
        return;
      }
      ctx.rsList = claimReplicaSets(d, selector);
      if (d.metadata.deletionTimestamp) return syncStatusOnly(ctx);
      checkPausedConditions(ctx);
      if (d.spec?.paused) return sync(ctx);
      if (isScalingEvent(ctx)) return sync(ctx);
      if (d.spec?.strategy?.type === "Recreate") return rolloutRecreate(ctx, podMapFor(ctx));
      return rolloutRolling(ctx);
    },
  };
}
