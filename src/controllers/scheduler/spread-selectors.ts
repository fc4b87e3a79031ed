/**
 * The selector PodTopologySpread's system default constraints spread a pod by: the selectors of
 * the Services that select it and of its controller (ReplicaSet, StatefulSet,
 * ReplicationController), merged. Every pod without constraints of its own asks for it, so the
 * Services of a namespace and the owners' selectors are read from the store once and kept until
 * the change feed reports a change to one of them (the role upstream's listers play).
 */
import { labelSelectorFromObject, type LabelSelector } from "../../lib/selectors";
import { findResource, type ResourceType } from "../../resources/registry";
import type { Change } from "../controller";
import type { ClusterView } from "../view";

type Obj = Record<string, any>;

const SERVICE = findResource("", "v1", "services");
const RS = findResource("apps", "v1", "replicasets");
const RC = findResource("", "v1", "replicationcontrollers");
const STS = findResource("apps", "v1", "statefulsets");

/** Past this many kept selectors the memo starts over (pods of many shapes). */
const MAX_KEPT = 4096;

export interface SpreadSelectors {
  /** The pod's default spreading selector; undefined when nothing selects it. */
  selectorFor(pod: Obj): LabelSelector | undefined;
  /** Forgets what a committed change may have made stale. */
  observe(change: Change): void;
}

function sameType(a: ResourceType | undefined, b: ResourceType): boolean {
  return a !== undefined && a.group === b.group && a.resource === b.resource;
}

/**
 * @example const sel = spreadSelectors(view); sel.selectorFor(pod); // on every change: sel.observe(change)
 */
export function spreadSelectors(view: ClusterView): SpreadSelectors {
  /** Namespace → the non-empty selectors of its Services. */
  const services = new Map<string, Record<string, string>[]>();
  /** "kind/namespace/name" → the owner's selector (null when it has none or is gone). */
  const owners = new Map<string, Obj | null>();
  /** Namespace, owner and labels → the merged selector. */
  const merged = new Map<string, LabelSelector | undefined>();

  function serviceSelectors(ns: string): Record<string, string>[] {
    let list = services.get(ns);
    if (!list) {
      list = [];
      if (SERVICE) {
        for (const svc of view.list(SERVICE, ns)) {
          const sel: Record<string, string> | undefined = svc.spec?.selector;
          if (sel && Object.keys(sel).length) list.push(sel);
        }
      }
      services.set(ns, list);
    }
    return list;
  }

  function ownerSelector(rt: ResourceType, ns: string, name: string): Obj | null {
    const key = `${rt.resource}/${ns}/${name}`;
    const kept = owners.get(key);
    if (kept !== undefined) return kept;
    const sel: Obj | null = view.get(rt, ns, name)?.spec?.selector ?? null;
    owners.set(key, sel);
    return sel;
  }

  function compute(pod: Obj, ns: string, owner: Obj | undefined): LabelSelector | undefined {
    const labels: Record<string, string> = pod.metadata?.labels ?? {};
    const matchLabels: Record<string, string> = {};
    const matchExpressions: Obj[] = [];
    for (const sel of serviceSelectors(ns)) {
      if (Object.entries(sel).every(([k, v]) => labels[k] === v)) Object.assign(matchLabels, sel);
    }
    if (owner) {
      if (owner.kind === "ReplicationController" && owner.apiVersion === "v1" && RC) {
        const sel = ownerSelector(RC, ns, owner.name);
        if (sel) Object.assign(matchLabels, sel);
      } else if (owner.apiVersion === "apps/v1" && ((owner.kind === "ReplicaSet" && RS) || (owner.kind === "StatefulSet" && STS))) {
        const sel = ownerSelector(owner.kind === "ReplicaSet" ? RS! : STS!, ns, owner.name);
        if (sel) {
          for (const [k, v] of Object.entries(sel.matchLabels ?? {})) matchExpressions.push({ key: k, operator: "In", values: [v] });
          matchExpressions.push(...(sel.matchExpressions ?? []));
        }
      }
    }
    if (!Object.keys(matchLabels).length && !matchExpressions.length) return undefined;
    try {
      return labelSelectorFromObject({ matchLabels, matchExpressions });
    } catch {
      return undefined;
    }
  }

  return {
    selectorFor(pod) {
      const ns: string = pod.metadata?.namespace ?? "";
      const owner: Obj | undefined = (pod.metadata?.ownerReferences ?? []).find((r: Obj) => r.controller === true);
      const key = JSON.stringify([ns, owner ? [owner.apiVersion, owner.kind, owner.name] : null, pod.metadata?.labels ?? {}]);
      if (merged.has(key)) return merged.get(key);
      if (merged.size >= MAX_KEPT) merged.clear();
      const sel = compute(pod, ns, owner);
      merged.set(key, sel);
      return sel;
    },
    observe(change) {
      const rt = change.rt;
      const isService = sameType(SERVICE, rt);
      if (!isService && !sameType(RS, rt) && !sameType(RC, rt) && !sameType(STS, rt)) return;
      // Status writes (a ReplicaSet's, on every replica change) leave the selector as it was.
      if (!change.created && !change.deleted && change.old && JSON.stringify(change.old.spec?.selector ?? null) === JSON.stringify(change.obj.spec?.selector ?? null)) return;
      const m = change.obj.metadata ?? {};
      if (isService) services.delete(m.namespace ?? "");
      else owners.delete(`${rt.resource}/${m.namespace ?? ""}/${m.name}`);
      merged.clear();
    },
  };
}
