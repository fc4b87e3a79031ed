/**
 * An in-memory ClusterView for controller unit tests. It behaves like the store the controllers
 * run next to: every write bumps a global resourceVersion, a stale resourceVersion is a 409,
 * creates set uid, creationTimestamp and generation (and a generateName suffix), spec changes
 * bump generation, status writes keep spec and metadata, and finalizers delay deletion. It
 * records every write so a test can compare the actions a reconcile took, sample-controller
 * style, and reports each committed change to listeners (as the store feeds controllers).
 */
import { errors, StatusError } from "../../src/api/status";
import { ManualClock, rfc3339 } from "../../src/lib/clock";
import { labelSelectorFromObject } from "../../src/lib/selectors";
import { findResource, type ResourceType } from "../../src/resources/registry";
import { prepareForCreate, prepareForUpdate } from "../../src/resources/strategy";
import type { Change } from "../../src/controllers/controller";
import type { ClusterView } from "../../src/controllers/view";
import type { DeleteOptions } from "../../src/store/objects";

type Obj = Record<string, any>;

export type Verb = "create" | "update" | "update-status" | "bind" | "delete";

/** One write a controller made. `obj` is what was stored (for a delete: the last state). */
export interface Action {
  verb: Verb;
  resource: string;
  namespace: string;
  name: string;
  obj: Obj;
}

/** Returning a StatusError fails the write before it happens (client-go's reactors). */
export type Reactor = (verb: Verb, rt: ResourceType, obj: Obj) => StatusError | undefined;

export const POD = findResource("", "v1", "pods")!;
export const RS = findResource("apps", "v1", "replicasets")!;
export const DEPLOY = findResource("apps", "v1", "deployments")!;

const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function keyFor(rt: ResourceType, namespace: string, name: string): string {
  return `${rt.storage}|${rt.namespaced ? namespace : ""}|${name}`;
}

export class FakeView implements ClusterView {
  readonly clock: ManualClock;
  readonly actions: Action[] = [];
  private readonly objects = new Map<string, Obj>();
  private readonly listeners: ((c: Change) => void)[] = [];
  private readonly reactors: Reactor[] = [];
  private rv = 100;
  private uids = 0;
  private names = 0;

  constructor(clock = new ManualClock()) {
    this.clock = clock;
  }

  now(): number {
    return this.clock.now();
  }
  timestamp(): string {
    return rfc3339(this.clock.now());
  }

  /** Calls `fn` with every committed change. */
  onChange(fn: (c: Change) => void): void {
    this.listeners.push(fn);
  }
  prependReactor(r: Reactor): void {
    this.reactors.unshift(r);
  }
  clearReactors(): void {
    this.reactors.length = 0;
  }
  clearActions(): void {
    this.actions.length = 0;
  }

  get(rt: ResourceType, namespace: string, name: string): Obj | undefined {
    const o = this.objects.get(keyFor(rt, namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  list(rt: ResourceType, namespace: string | undefined, selector?: Obj): Obj[] {
    const sel = selector ? labelSelectorFromObject(selector) : undefined;
    const out: Obj[] = [];
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(`${rt.storage}|`)).sort();
    for (const k of keys) {
      const o = this.objects.get(k)!;
      if (namespace !== undefined && rt.namespaced && o.metadata.namespace !== namespace) continue;
      if (sel && !sel.matches(o.metadata.labels)) continue;
      out.push(structuredClone(o));
    }
    return out;
  }

  /** Stores an object as a client would have created it, without recording an action. */
  seed(rt: ResourceType, obj: Obj): Obj {
    return this.write("create", rt, obj, false);
  }

  create(rt: ResourceType, obj: Obj): Obj {
    return this.write("create", rt, obj, true);
  }
  update(rt: ResourceType, obj: Obj): Obj {
    return this.write("update", rt, obj, true);
  }
  updateStatus(rt: ResourceType, obj: Obj): Obj {
    return this.write("update-status", rt, obj, true);
  }
  bind(rt: ResourceType, obj: Obj): Obj {
    return this.write("bind", rt, obj, true);
  }

  /** A client's unconditional spec/metadata write (kubectl edit, a test's "user"): no action recorded. */
  userUpdate(rt: ResourceType, namespace: string, name: string, mutate: (o: Obj) => void): Obj {
    const cur = this.get(rt, namespace, name);
    if (!cur) throw errors.notFound(rt.resource, rt.group, name);
    mutate(cur);
    return this.write("update", rt, cur, false);
  }
  /** A status write by someone other than the controller under test (the kubelet): not recorded. */
  userUpdateStatus(rt: ResourceType, namespace: string, name: string, mutate: (o: Obj) => void): Obj {
    const cur = this.get(rt, namespace, name);
    if (!cur) throw errors.notFound(rt.resource, rt.group, name);
    mutate(cur);
    return this.write("update-status", rt, cur, false);
  }

  delete(rt: ResourceType, namespace: string, name: string, _opts: DeleteOptions = {}): boolean {
    const key = keyFor(rt, namespace, name);
    const cur = this.objects.get(key);
    if (!cur) return false;
    this.react("delete", rt, cur);
    this.actions.push({ verb: "delete", resource: rt.resource, namespace, name, obj: structuredClone(cur) });
    return this.remove(rt, key, cur);
  }

  /** Deletes without recording an action (a user, the garbage collector, a kubelet finishing). */
  userDelete(rt: ResourceType, namespace: string, name: string): boolean {
    const key = keyFor(rt, namespace, name);
    const cur = this.objects.get(key);
    return cur ? this.remove(rt, key, cur) : false;
  }

  private remove(rt: ResourceType, key: string, cur: Obj): boolean {
    const old = structuredClone(cur);
    if (cur.metadata.finalizers?.length) {
      if (cur.metadata.deletionTimestamp) return true;
      const next = structuredClone(cur);
      next.metadata.deletionTimestamp = this.timestamp();
      next.metadata.deletionGracePeriodSeconds = 0;
      next.metadata.resourceVersion = String(++this.rv);
      this.objects.set(key, next);
      this.emit({ rt, obj: structuredClone(next), old, created: false, deleted: false });
      return true;
    }
    this.objects.delete(key);
    const last = structuredClone(cur);
    last.metadata.resourceVersion = String(++this.rv);
    this.emit({ rt, obj: last, old, created: false, deleted: true });
    return true;
  }

  private react(verb: Verb, rt: ResourceType, obj: Obj): void {
    for (const r of this.reactors) {
      const err = r(verb, rt, obj);
      if (err) throw err;
    }
  }

  private emit(c: Change): void {
    for (const l of this.listeners) l(c);
  }

  private write(verb: Verb, rt: ResourceType, input: Obj, record: boolean): Obj {
    if (record) this.react(verb, rt, input);
    const meta = input.metadata ?? {};
    const namespace: string = rt.namespaced ? (meta.namespace ?? "") : "";
    if (verb === "create") {
      const obj = structuredClone(input);
      const m = (obj.metadata ??= {});
      if (!m.name) {
        if (!m.generateName) throw errors.invalid(rt.kind, rt.group, "", [{ reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name" }]);
        m.name = m.generateName + this.suffix();
      }
      const key = keyFor(rt, namespace, m.name);
      if (this.objects.has(key)) throw errors.alreadyExists(rt.resource, rt.group, m.name);
      const seededStatus = !record && obj.status !== undefined ? structuredClone(obj.status) : undefined;
      m.uid = m.uid && !record ? m.uid : `uid-${++this.uids}`;
      if (!(m.creationTimestamp && !record)) m.creationTimestamp = this.timestamp();
      if (record) delete m.deletionTimestamp;
      const seededGeneration = !record ? m.generation : undefined;
      delete m.generation;
      prepareForCreate(rt, obj);
      // Seeds may carry the state a cluster would have reached (status, generation).
      if (seededStatus !== undefined) obj.status = seededStatus;
      if (seededGeneration !== undefined) m.generation = seededGeneration;
      m.resourceVersion = String(++this.rv);
      if (!obj.apiVersion) obj.apiVersion = rt.group ? `${rt.group}/${rt.version}` : rt.version;
      if (!obj.kind) obj.kind = rt.kind;
      this.objects.set(key, obj);
      if (record) this.actions.push({ verb, resource: rt.resource, namespace, name: m.name, obj: structuredClone(obj) });
      this.emit({ rt, obj: structuredClone(obj), old: undefined, created: true, deleted: false });
      return structuredClone(obj);
    }
    const key = keyFor(rt, namespace, meta.name);
    const cur = this.objects.get(key);
    if (!cur) throw errors.notFound(rt.resource, rt.group, meta.name);
    if (meta.resourceVersion && meta.resourceVersion !== cur.metadata.resourceVersion) {
      throw errors.conflict(rt.resource, rt.group, meta.name, "the object has been modified; please apply your changes to the latest version and try again");
    }
    if (meta.uid && meta.uid !== cur.metadata.uid) {
      throw errors.conflict(rt.resource, rt.group, meta.name, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    const next = prepareForUpdate(rt, structuredClone(input), structuredClone(cur), verb === "update-status" ? "status" : verb === "bind" ? "binding" : undefined);
    const { resourceVersion: _a, ...curMeta } = cur.metadata;
    const unchanged = JSON.stringify(canonical({ ...cur, metadata: curMeta })) === JSON.stringify(canonical(next));
    const recordAction = (stored: Obj) => {
      if (record) this.actions.push({ verb, resource: rt.resource, namespace, name: meta.name, obj: structuredClone(stored) });
    };
    if (unchanged) {
      recordAction(cur);
      return structuredClone(cur);
    }
    next.metadata.resourceVersion = String(++this.rv);
    recordAction(next);
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.objects.delete(key);
      this.emit({ rt, obj: structuredClone(next), old: structuredClone(cur), created: false, deleted: true });
      return structuredClone(next);
    }
    this.objects.set(key, next);
    this.emit({ rt, obj: structuredClone(next), old: structuredClone(cur), created: false, deleted: false });
    return structuredClone(next);
  }

  private suffix(): string {
    let n = ++this.names;
    let s = "";
    for (let i = 0; i < 5; i++) {
      s = ALPHABET[n % ALPHABET.length] + s;
      n = Math.floor(n / ALPHABET.length);
    }
    return s;
  }
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out: Obj = {};
    for (const k of Object.keys(v).sort()) if ((v as Obj)[k] !== undefined) out[k] = canonical((v as Obj)[k]);
    return out;
  }
  return v;
}

/** A compact form of an action for expected-action lists: "create pods default/web-abc". */
export function describeAction(a: Action): string {
  return `${a.verb} ${a.resource} ${a.namespace ? `${a.namespace}/` : ""}${a.name}`;
}

/** True when the error is the 409 a stale resourceVersion produces. */
export function isConflict(e: unknown): boolean {
  return e instanceof StatusError && e.code === 409;
}

// ----- fixtures -----

/** A defaulted-enough pod template (what the API stores after defaulting). */
export function podTemplate(labels: Obj, image = "nginx:1.25"): Obj {
  return {
    metadata: { labels: { ...labels } },
    spec: {
      containers: [{ name: "app", image, imagePullPolicy: "IfNotPresent", terminationMessagePath: "/dev/termination-log", terminationMessagePolicy: "File", resources: {} }],
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      securityContext: {},
      schedulerName: "default-scheduler",
    },
  };
}

export interface DeploymentFixture {
  name?: string;
  namespace?: string;
  replicas?: number;
  image?: string;
  labels?: Obj;
  strategy?: Obj;
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  annotations?: Obj;
}

export function newDeployment(f: DeploymentFixture = {}): Obj {
  const labels = f.labels ?? { app: f.name ?? "web" };
  const spec: Obj = {
    replicas: f.replicas ?? 1,
    selector: { matchLabels: { ...labels } },
    template: podTemplate(labels, f.image),
    strategy: f.strategy ?? { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
    revisionHistoryLimit: f.revisionHistoryLimit ?? 10,
    progressDeadlineSeconds: f.progressDeadlineSeconds ?? 600,
  };
  if (f.minReadySeconds) spec.minReadySeconds = f.minReadySeconds;
  if (f.paused) spec.paused = true;
  const metadata: Obj = { name: f.name ?? "web", namespace: f.namespace ?? "default" };
  if (f.annotations) metadata.annotations = { ...f.annotations };
  return { apiVersion: "apps/v1", kind: "Deployment", metadata, spec };
}

export interface ReplicaSetFixture {
  name?: string;
  namespace?: string;
  replicas?: number;
  labels?: Obj;
  image?: string;
  minReadySeconds?: number;
  owner?: Obj;
  status?: Obj;
}

export function newReplicaSet(f: ReplicaSetFixture = {}): Obj {
  const labels = f.labels ?? { app: "web" };
  const rs: Obj = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: f.name ?? "web-rs", namespace: f.namespace ?? "default", labels: { ...labels } },
    spec: { replicas: f.replicas ?? 1, selector: { matchLabels: { ...labels } }, template: podTemplate(labels, f.image) },
  };
  if (f.minReadySeconds) rs.spec.minReadySeconds = f.minReadySeconds;
  if (f.owner) rs.metadata.ownerReferences = [{ apiVersion: f.owner.apiVersion ?? "apps/v1", kind: f.owner.kind ?? "Deployment", name: f.owner.metadata.name, uid: f.owner.metadata.uid, controller: true, blockOwnerDeletion: true }];
  if (f.status) rs.status = f.status;
  return rs;
}

export interface PodFixture {
  name: string;
  namespace?: string;
  labels?: Obj;
  owner?: Obj;
  phase?: string;
  ready?: boolean;
  /** When it became ready (ms); defaults to its creation. */
  readySince?: number;
  nodeName?: string;
  restarts?: number;
  creationTimestamp?: string;
  annotations?: Obj;
}

export function newPod(f: PodFixture): Obj {
  const pod: Obj = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: f.name, namespace: f.namespace ?? "default", labels: { ...(f.labels ?? { app: "web" }) } },
    spec: { containers: [{ name: "app", image: "nginx:1.25" }] },
    status: { phase: f.phase ?? (f.ready ? "Running" : "Pending") },
  };
  if (f.creationTimestamp) pod.metadata.creationTimestamp = f.creationTimestamp;
  if (f.annotations) pod.metadata.annotations = { ...f.annotations };
  if (f.owner) pod.metadata.ownerReferences = [{ apiVersion: "apps/v1", kind: f.owner.kind ?? "ReplicaSet", name: f.owner.metadata.name, uid: f.owner.metadata.uid, controller: true, blockOwnerDeletion: true }];
  if (f.nodeName) pod.spec.nodeName = f.nodeName;
  if (f.ready !== undefined) {
    const since = f.readySince !== undefined ? rfc3339(f.readySince) : (f.creationTimestamp ?? rfc3339(Date.UTC(2026, 0, 1)));
    pod.status.conditions = [{ type: "Ready", status: f.ready ? "True" : "False", lastTransitionTime: since }];
  }
  if (f.restarts !== undefined) pod.status.containerStatuses = [{ name: "app", restartCount: f.restarts }];
  return pod;
}

/** Marks a pod Running and Ready from now, as a kubelet would once its containers start. */
export function markReady(view: FakeView, pod: Obj): void {
  view.userUpdateStatus(POD, pod.metadata.namespace, pod.metadata.name, (p) => {
    p.status = { ...(p.status ?? {}), phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: view.timestamp() }] };
  });
}

/** Makes every pending pod ready; returns how many changed. */
export function kubeletStep(view: FakeView, filter: (pod: Obj) => boolean = () => true): number {
  let n = 0;
  for (const pod of view.list(POD, undefined)) {
    if (pod.metadata.deletionTimestamp) continue;
    if ((pod.status?.conditions ?? []).some((c: Obj) => c.type === "Ready" && c.status === "True")) continue;
    if (!filter(pod)) continue;
    markReady(view, pod);
    n++;
  }
  return n;
}

// ----- a tiny in-memory controller runtime -----

interface Reconciling {
  readonly name: string;
  reconcile(key: string): { requeueAfterMs?: number } | void;
  keysFor(change: Change): string[];
}

/**
 * Feeds every committed change to the controllers' keysFor and runs the queued keys in order,
 * as the runtime next to the store does (duplicate keys collapse; errors and requeues wait on
 * the fake clock).
 */
export class Driver {
  readonly errors: { controller: string; key: string; error: unknown }[] = [];
  private queue: { controller: string; key: string }[] = [];
  private delayed: { controller: string; key: string; at: number }[] = [];

  constructor(
    readonly view: FakeView,
    readonly controllers: readonly Reconciling[],
  ) {
    view.onChange((c) => {
      for (const ctrl of controllers) for (const key of ctrl.keysFor(c)) this.enqueue(ctrl.name, key);
    });
  }

  enqueue(controller: string, key: string): void {
    if (!this.queue.some((q) => q.controller === controller && q.key === key)) this.queue.push({ controller, key });
  }

  /** Runs queued keys until the queue is empty; returns the number of reconciles. */
  runUntilIdle(maxSteps = 2000): number {
    let steps = 0;
    while (this.queue.length) {
      if (++steps > maxSteps) throw new Error(`not idle after ${maxSteps} reconciles: ${JSON.stringify(this.queue)}`);
      const { controller, key } = this.queue.shift()!;
      const ctrl = this.controllers.find((c) => c.name === controller)!;
      try {
        const res = ctrl.reconcile(key);
        if (res && res.requeueAfterMs !== undefined) this.delay(controller, key, res.requeueAfterMs);
      } catch (error) {
        this.errors.push({ controller, key, error });
        this.delay(controller, key, 10);
      }
    }
    return steps;
  }

  private delay(controller: string, key: string, ms: number): void {
    const at = this.view.now() + ms;
    const cur = this.delayed.find((d) => d.controller === controller && d.key === key);
    if (cur) cur.at = Math.min(cur.at, at);
    else this.delayed.push({ controller, key, at });
  }

  /** When the next delayed key is due (ms from now), if any. */
  nextDelay(): number | undefined {
    if (!this.delayed.length) return undefined;
    return Math.max(0, Math.min(...this.delayed.map((d) => d.at)) - this.view.now());
  }

  /** Moves the clock and queues the keys that came due, then runs them. */
  advance(ms: number): number {
    this.view.clock.advance(ms);
    const now = this.view.now();
    const due = this.delayed.filter((d) => d.at <= now);
    this.delayed = this.delayed.filter((d) => d.at > now);
    for (const d of due) this.enqueue(d.controller, d.key);
    return this.runUntilIdle();
  }
}
