import type { TaskEvent } from "../runtime/events";
import { LABEL_CONTAINER, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, sandboxId } from "./labels";
import { newPodRecord, type PodRecord } from "./pod-record";
import type { Pod } from "./pod-spec";
import { PodWorker, type WorkerDeps } from "./pod-worker";

export interface PodManagerDeps extends Omit<WorkerDeps, "requeue"> {
  /** Lists this agent's containers with their labels (for adoption after a restart). */
  listContainers(): Promise<{ id: string; labels: Record<string, string> }[]>;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  onError?(err: unknown, uid: string): void;
}

/**
 * All pods of this node: the desired pods (from the informer) on one side, one worker per pod
 * on the other. Syncs of one pod never overlap; a request that arrives meanwhile runs once the
 * current sync ends. Timers (back-off, retries) and containerd events only ask for syncs.
 */
export class PodManager {
  private readonly desired = new Map<string, Pod>();
  private readonly workers = new Map<string, PodWorker>();
  private readonly byContainerId = new Map<string, { uid: string; name: string }>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; handle: unknown }>();
  private started = false;
  private stopped = false;

  constructor(private readonly deps: PodManagerDeps) {}

  /**
   * Loads what survived a restart (records, containers, sandboxes) and starts syncing. Call once
   * the informer has listed the node's pods, so that anything not desired can be removed.
   */
  async start(desiredPods: Pod[]): Promise<void> {
    for (const p of desiredPods) this.desired.set(p.metadata.uid, p);
    for (const rec of await this.deps.records.loadAll()) this.workerFor(rec);
    for (const c of await this.deps.listContainers()) {
      const uid = c.labels[LABEL_POD_UID];
      if (!uid) continue;
      const w = this.workerFor(newPodRecord(uid, c.labels[LABEL_POD_NAMESPACE] ?? "", c.labels[LABEL_POD_NAME] ?? ""));
      const name = c.labels[LABEL_CONTAINER];
      if (name && !w.record.containers[name]) {
        // A container without a record (the record was lost): adopt it as created, so the next
        // sync restarts or removes it rather than tripping over its id.
        w.record.containers[name] = { name, id: c.id, created: true, image: "", restartCount: 0, running: false, ready: false, started: false };
      }
      if (name) this.byContainerId.set(c.id, { uid, name });
    }
    const known = new Set([...this.workers.keys()].map(sandboxId));
    for (const id of await this.deps.sandboxes.list()) {
      if (!known.has(id) && ![...this.desired.keys()].some((uid) => sandboxId(uid) === id)) await this.deps.sandboxes.remove(id).catch(() => undefined);
    }
    this.started = true;
    await this.resync();
  }

  upsert(pod: Pod): void {
    const uid = pod.metadata.uid;
    const before = this.desired.get(uid);
    this.desired.set(uid, pod);
    // Most updates are the echo of our own status patches: nothing to do for those.
    if (before && syncFingerprint(before) === syncFingerprint(pod) && this.workers.has(uid)) return;
    this.enqueue(uid);
  }

  remove(pod: Pod): void {
    this.desired.delete(pod.metadata.uid);
    this.enqueue(pod.metadata.uid);
  }

  /** Reconciles every pod against containerd's tasks (covers missed events), then syncs all. */
  async resync(): Promise<void> {
    if (!this.started) return;
    const tasks = await this.deps.runtime.listTasks().catch(() => undefined);
    for (const [uid, w] of this.workers) {
      if (tasks && (await w.reconcileTasks(tasks))) this.dirty.add(uid);
    }
    for (const uid of new Set([...this.desired.keys(), ...this.workers.keys()])) this.enqueue(uid);
  }

  onTaskEvent(e: TaskEvent): void {
    const ref = this.byContainerId.get(e.containerId) ?? this.findContainer(e.containerId);
    if (!ref) return;
    const w = this.workers.get(ref.uid);
    if (!w) return;
    if (e.topic === "start") w.onTaskStart(ref.name, e.pid);
    else if (e.topic === "oom") w.onOom(ref.name);
    else if (e.topic === "exit") w.onTaskExit(ref.name, e.pid, e.exitCode, e.exitedAt);
  }

  /** A container a sync created moments ago, before the index heard of it. */
  private findContainer(id: string): { uid: string; name: string } | undefined {
    for (const [uid, w] of this.workers) {
      const r = Object.values(w.record.containers).find((c) => c.id === id);
      if (r) {
        const ref = { uid, name: r.name };
        this.byContainerId.set(id, ref);
        return ref;
      }
    }
    return undefined;
  }

  worker(uid: string): PodWorker | undefined {
    return this.workers.get(uid);
  }

  /** Stops timers and probes; containers keep running (an agent restart adopts them). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) this.deps.clearTimer(t.handle);
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
    for (const w of this.workers.values()) w.stopProbes();
  }

  /** Waits until no sync runs or is queued (tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private workerFor(rec: PodRecord): PodWorker {
    let w = this.workers.get(rec.uid);
    if (w) return w;
    w = new PodWorker({ ...this.deps, requeue: (uid, at) => this.requeue(uid, at) }, rec);
    this.workers.set(rec.uid, w);
    return w;
  }

  private requeue(uid: string, atMs?: number): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    if (atMs === undefined || atMs <= now) {
      this.enqueue(uid);
      return;
    }
    const existing = this.timers.get(uid);
    if (existing && existing.at <= atMs) return;
    if (existing) this.deps.clearTimer(existing.handle);
    const handle = this.deps.setTimer(() => {
      this.timers.delete(uid);
      this.enqueue(uid);
    }, atMs - now);
    this.timers.set(uid, { at: atMs, handle });
  }

  private enqueue(uid: string): void {
    if (!this.started || this.stopped) return;
    if (this.running.has(uid)) {
      this.dirty.add(uid);
      return;
    }
    // Started a turn later, so the entry exists before the sync runs: an event the sync itself
    // triggers (a task exit while killing) then marks the pod dirty instead of starting a second sync.
    const run = Promise.resolve()
      .then(() => this.runSyncs(uid))
      .finally(() => this.running.delete(uid));
    this.running.set(uid, run);
  }

  private async runSyncs(uid: string): Promise<void> {
    do {
      this.dirty.delete(uid);
      const pod = this.desired.get(uid);
      let w = this.workers.get(uid);
      if (!w) {
        if (!pod) return;
        w = this.workerFor(newPodRecord(uid, pod.metadata.namespace, pod.metadata.name));
      }
      for (const r of Object.values(w.record.containers)) this.byContainerId.set(r.id, { uid, name: r.name });
      try {
        const keep = await w.sync(pod);
        for (const r of Object.values(w.record.containers)) this.byContainerId.set(r.id, { uid, name: r.name });
        if (!keep && w.gone) this.forget(uid, w);
      } catch (e) {
        this.deps.onError?.(e, uid);
        this.requeue(uid, this.deps.clock.now() + 5_000);
      }
    } while (this.dirty.has(uid) && !this.stopped);
  }

  private forget(uid: string, w: PodWorker): void {
    for (const r of Object.values(w.record.containers)) this.byContainerId.delete(r.id);
    this.workers.delete(uid);
    const t = this.timers.get(uid);
    if (t) this.deps.clearTimer(t.handle);
    this.timers.delete(uid);
    // The API may still list a pod whose deletion was completed; do not start it again.
    if (this.desired.get(uid)?.metadata?.deletionTimestamp) this.desired.delete(uid);
  }
}

/** The parts of a pod that can change what the agent should do with it. */
function syncFingerprint(pod: Pod): string {
  const m = pod.metadata ?? {};
  return JSON.stringify([pod.spec, m.deletionTimestamp, m.deletionGracePeriodSeconds, m.labels, m.annotations]);
}
