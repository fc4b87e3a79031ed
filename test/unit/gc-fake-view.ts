/**
 * An in-memory ClusterView for the garbage collector and event tests, with the store's deletion
 * rules (propagation finalizers, deletionTimestamp, removal with the last finalizer, graceful
 * deletion of pods bound to a node), a log of writes, and a loop that drives controllers
 * through their keysFor and the real ControllerRuntime.
 */
import { errors } from "../../src/api/status";
import { ManualClock, rfc3339 } from "../../src/lib/clock";
import type { Change, Controller } from "../../src/controllers/controller";
import type { QueueItem, WorkQueue } from "../../src/controllers/queue";
import { ControllerRuntime } from "../../src/controllers/runtime";
import type { ClusterView } from "../../src/controllers/view";
import { findResource, storageTypeOf, type ResourceType } from "../../src/resources/registry";
import type { DeleteOptions } from "../../src/store/objects";

type Obj = Record<string, any>;

export const T = {
  namespace: findResource("", "v1", "namespaces")!,
  pod: findResource("", "v1", "pods")!,
  node: findResource("", "v1", "nodes")!,
  configMap: findResource("", "v1", "configmaps")!,
  event: findResource("", "v1", "events")!,
  deployment: findResource("apps", "v1", "deployments")!,
  replicaSet: findResource("apps", "v1", "replicasets")!,
  lease: findResource("coordination.k8s.io", "v1", "leases")!,
};

export class GcFakeView implements ClusterView {
  readonly clock = new ManualClock();
  /** "create pods default/web-1", "update …", "delete …" in order (reads are not logged). */
  readonly writes: string[] = [];
  private readonly objects = new Map<string, Obj>();
  private readonly listeners: ((c: Change) => void)[] = [];
  private rev = 0;
  private uids = 0;

  now(): number {
    return this.clock.now();
  }
  timestamp(): string {
    return rfc3339(this.clock.now());
  }

  onChange(fn: (c: Change) => void): void {
    this.listeners.push(fn);
  }

  get(rt: ResourceType, namespace: string, name: string): Obj | undefined {
    const o = this.objects.get(key(rt, namespace, name));
    return o && structuredClone(o);
  }

  list(rt: ResourceType, namespace: string | undefined): Obj[] {
    const prefix = `${storageTypeOf(rt).storage}|`;
    return [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (namespace === undefined || (o.metadata.namespace ?? "") === namespace))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, o]) => structuredClone(o));
  }

  create(rt: ResourceType, input: Obj): Obj {
    const obj = structuredClone(input);
    const m = (obj.metadata ??= {});
    const ns = rt.namespaced ? m.namespace : "";
    const k = key(rt, ns, m.name);
    if (this.objects.has(k)) throw errors.alreadyExists(rt.resource, rt.group, m.name);
    m.uid = `${m.name}-uid-${++this.uids}`;
    m.creationTimestamp = this.timestamp();
    delete m.deletionTimestamp;
    return this.commit(rt, k, obj, undefined, "create");
  }

  update(rt: ResourceType, input: Obj): Obj {
    const m = input.metadata;
    const k = key(rt, rt.namespaced ? m.namespace : "", m.name);
    const cur = this.objects.get(k);
    if (!cur) throw errors.notFound(rt.resource, rt.group, m.name);
    if (m.resourceVersion && m.resourceVersion !== cur.metadata.resourceVersion) throw errors.conflict(rt.resource, rt.group, m.name, "the object has been modified");
    const next = structuredClone(input);
    next.metadata.uid = cur.metadata.uid;
    next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    if (!next.metadata.deletionTimestamp) delete next.metadata.deletionTimestamp;
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers ?? []).length) return this.remove(rt, k, cur);
    return this.commit(rt, k, next, cur, "update");
  }

  updateStatus(rt: ResourceType, obj: Obj): Obj {
    return this.update(rt, obj);
  }

  bind(rt: ResourceType, obj: Obj): Obj {
    return this.update(rt, obj);
  }

  delete(rt: ResourceType, namespace: string, name: string, opts: DeleteOptions = {}): boolean {
    const k = key(rt, namespace, name);
    const cur = this.objects.get(k);
    if (!cur) return false;
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== cur.metadata.uid) throw errors.conflict(rt.resource, rt.group, name, "Precondition failed: UID");
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) throw errors.conflict(rt.resource, rt.group, name, "Precondition failed: ResourceVersion");
    const next = structuredClone(cur);
    const finalizers: string[] = [...(next.metadata.finalizers ?? [])];
    if (opts.propagationPolicy === "Orphan" && !finalizers.includes("orphan")) finalizers.push("orphan");
    if (opts.propagationPolicy === "Foreground" && !finalizers.includes("foregroundDeletion")) finalizers.push("foregroundDeletion");
    const graceful = rt.kind === "Pod" && !!next.spec?.nodeName;
    if (finalizers.length === 0 && !graceful) {
      this.remove(rt, k, cur);
      return true;
    }
    if (next.metadata.deletionTimestamp && JSON.stringify(finalizers) === JSON.stringify(next.metadata.finalizers ?? [])) return true;
    next.metadata.deletionTimestamp ??= this.timestamp();
    if (finalizers.length) next.metadata.finalizers = finalizers;
    this.commit(rt, k, next, cur, "update");
    return true;
  }

  /** The kubelet confirming a graceful pod deletion. */
  finishGraceful(namespace: string, name: string): void {
    const k = key(T.pod, namespace, name);
    const cur = this.objects.get(k);
    if (cur?.metadata.deletionTimestamp && !(cur.metadata.finalizers ?? []).length) this.remove(T.pod, k, cur);
  }

  /** Seeds objects (their writes are not logged); returns them as stored. */
  seed(rt: ResourceType, ...objs: Obj[]): Obj[] {
    const out = objs.map((o) => this.create(rt, o));
    this.writes.length = 0;
    return out;
  }

  names(rt: ResourceType, namespace?: string): string[] {
    return this.list(rt, namespace).map((o) => o.metadata.name);
  }

  private commit(rt: ResourceType, k: string, obj: Obj, old: Obj | undefined, verb: string): Obj {
    obj.metadata.resourceVersion = String(++this.rev);
    this.objects.set(k, obj);
    this.writes.push(`${verb} ${rt.resource} ${describe(obj)}`);
    this.emit({ rt, obj: structuredClone(obj), old: old && structuredClone(old), created: !old, deleted: false });
    return structuredClone(obj);
  }

  private remove(rt: ResourceType, k: string, cur: Obj): Obj {
    this.objects.delete(k);
    const gone = { ...structuredClone(cur), metadata: { ...structuredClone(cur.metadata), resourceVersion: String(++this.rev) } };
    this.writes.push(`delete ${rt.resource} ${describe(cur)}`);
    this.emit({ rt, obj: gone, old: structuredClone(cur), created: false, deleted: true });
    return gone;
  }

  private emit(c: Change): void {
    for (const fn of this.listeners) fn(c);
  }
}

function key(rt: ResourceType, namespace: string, name: string): string {
  return `${storageTypeOf(rt).storage}|${rt.namespaced ? namespace : ""}|${name}`;
}

function describe(obj: Obj): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/** The persisted queue's semantics in memory: one row per (controller, key), adds keep the earlier time. */
class MemoryQueue {
  readonly rows = new Map<string, QueueItem & { notBefore: number }>();
  add(controller: string, key: string, notBefore: number): void {
    const id = `${controller}\u0000${key}`;
    const row = this.rows.get(id);
    if (row) Object.assign(row, { notBefore: Math.min(row.notBefore, notBefore), gen: row.gen + 1 });
    else this.rows.set(id, { controller, key, notBefore, attempts: 0, gen: 0 });
  }
  due(now: number, limit: number): QueueItem[] {
    return [...this.rows.values()]
      .filter((r) => r.notBefore <= now)
      .sort((a, b) => a.notBefore - b.notBefore)
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }
  forget(item: QueueItem): void {
    const id = `${item.controller}\u0000${item.key}`;
    if (this.rows.get(id)?.gen === item.gen) this.rows.delete(id);
  }
  requeue(item: QueueItem, notBefore: number, attempts: number): void {
    const row = this.rows.get(`${item.controller}\u0000${item.key}`);
    if (!row) return;
    row.notBefore = row.gen === item.gen ? notBefore : Math.min(row.notBefore, notBefore);
    row.attempts = attempts;
  }
  nextDue(): number | undefined {
    const times = [...this.rows.values()].map((r) => r.notBefore);
    return times.length ? Math.min(...times) : undefined;
  }
  get length(): number {
    return this.rows.size;
  }
}

/** Controllers wired to the view as the Durable Object wires them: every change goes through keysFor. */
export class ControllerLoop {
  readonly queue = new MemoryQueue();
  readonly runtime: ControllerRuntime;
  passes = 0;

  constructor(
    private readonly view: GcFakeView,
    controllers: Controller[],
    batchSize = 200,
  ) {
    this.runtime = new ControllerRuntime(this.queue as unknown as WorkQueue, view.clock, { batchSize });
    for (const c of controllers) this.runtime.register(c);
    view.onChange((change) => {
      for (const c of controllers) for (const k of c.keysFor(change)) this.runtime.enqueue(c.name, k);
    });
  }

  /** Alarm passes until nothing is due now; returns the next due time, if any. */
  settle(maxPasses = 1000): number | undefined {
    for (let i = 0; i < maxPasses; i++) {
      if (this.queue.due(this.view.now(), 1).length === 0) return this.queue.nextDue();
      this.passes++;
      this.runtime.runDue();
    }
    throw new Error(`not settled after ${maxPasses} passes`);
  }
}
