/**
 * Which Services of a namespace select a pod, for the endpoint controllers' event handlers: a
 * pod change must not scan every Service. Selectors are cached per namespace and dropped when
 * any Service of that namespace changes (dropping is always safe, even if the write that caused
 * it is rolled back).
 */
import { findResource } from "../../resources/registry";
import type { Change } from "../controller";
import type { ClusterView } from "../view";
import { endpointFacts, hasSelector, selectorMatches, selectorOf } from "./pod-endpoints";

type Obj = Record<string, any>;

const SVC = findResource("", "v1", "services")!;

interface Entry {
  readonly name: string;
  readonly selector: Record<string, string>;
}

export class ServiceSelectorIndex {
  private readonly byNamespace = new Map<string, Entry[]>();

  constructor(private readonly view: ClusterView) {}

  /** Forget a namespace's selectors; call on every Service change. */
  invalidate(namespace: string): void {
    this.byNamespace.delete(namespace);
  }

  /** Names of the Services in `namespace` whose selector matches `labels`. */
  selecting(namespace: string, labels: Record<string, string> | undefined): string[] {
    let entries = this.byNamespace.get(namespace);
    if (!entries) {
      entries = this.view
        .list(SVC, namespace)
        .filter(hasSelector)
        .map((svc: Obj) => ({ name: svc.metadata.name, selector: selectorOf(svc) }));
      this.byNamespace.set(namespace, entries);
    }
    return entries.filter((e) => selectorMatches(e.selector, labels)).map((e) => e.name);
  }

  /**
   * The "namespace/name" keys of the Services a pod change concerns: those selecting the pod now
   * or before a label change. A change to nothing endpoints read concerns none.
   */
  keysForPod(change: Change): string[] {
    const pod = change.obj;
    const old = change.old;
    if (!change.created && !change.deleted && old && endpointFacts(old) === endpointFacts(pod)) return [];
    const ns: string = pod.metadata?.namespace ?? "";
    const names = new Set(this.selecting(ns, pod.metadata?.labels));
    if (old && JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(pod.metadata?.labels ?? {})) {
      for (const n of this.selecting(ns, old.metadata?.labels)) names.add(n);
    }
    return [...names].map((n) => `${ns}/${n}`);
  }
}
