import { rfc3339 } from "../../src/lib/clock";
import type { Clock } from "../../src/lib/clock";
import { removePodLogs } from "../logs/read";
import { CtrError } from "../runtime/ctr-error";
import { normalizeImageRef } from "../runtime/image-ref";
import type { SandboxInfo, SandboxSpec } from "../sandbox/sandbox-manager";
import { planRestart } from "./backoff";
import { ContainerConfigError } from "./config-error";
import { buildRunSpec } from "./container-run";
import { resolveEnv } from "./env";
import type { ImageIndex } from "./image-index";
import { pullPolicy } from "./image-policy";
import { type NodeDns, podDnsSettings } from "./dns-policy";
import { containerId, sandboxId } from "./labels";
import { type ContainerRecord, type PodRecord, type PodRecordStore, type Termination } from "./pod-record";
import { appContainers, type Container, gracePeriodSeconds, initContainers, isSidecar, type Pod, restartPolicy } from "./pod-spec";
import type { PodApiPort, RuntimePort, SandboxPort } from "./ports";
import { ContainerProbes } from "./probes";
import { computeStatus } from "./status";
import { containerMounts, type PreparedVolumes, prepareVolumes, removePodVolumes } from "./volumes";

export interface WorkerDeps {
  nodeName: string;
  hostIP: () => string;
  dataDir: string;
  runtime: RuntimePort;
  sandboxes: SandboxPort;
  api: PodApiPort;
  records: PodRecordStore;
  clock: Clock;
  dns: NodeDns;
  /** Asks for another sync of this pod at the given clock time (or at once). */
  requeue(uid: string, atMs?: number): void;
  sleep(ms: number): Promise<void>;
  images: ImageIndex;
}

/** How long a failed sandbox, volume or image step waits before the next attempt. */
const RETRY_MS = 5_000;
/**
 * A sandbox is checked, and configMap/secret volumes refreshed, at most this often; syncs in
 * between (a container exit, a status change) trust the last check.
 */
const RECHECK_MS = 30_000;
const PULL_BACKOFF_INITIAL_MS = 10_000;
const PULL_BACKOFF_MAX_MS = 300_000;

/**
 * One pod on this node, synced level-triggered: every call of `sync` compares the pod's spec with
 * what the agent knows and containerd runs, and takes the next steps (sandbox, init containers in
 * order, sidecars, app containers, restarts with back-off), then reports the pod's status.
 */
export class PodWorker {
  private readonly probes = new Map<string, ContainerProbes>();
  private readonly starting = new Set<string>();
  private readonly earlyExits = new Map<string, { pid: number; exitCode: number; exitedAt: string }>();
  private lastSent?: Record<string, any>;
  private sandbox?: { info: SandboxInfo; at: number };
  private volumes?: { prepared: PreparedVolumes; at: number };
  private lastSentKey?: string;
  gone = false;

  constructor(
    private readonly deps: WorkerDeps,
    readonly record: PodRecord,
  ) {}

  private now(): string {
    return rfc3339(this.deps.clock.now());
  }

  private containerRecord(c: Container): ContainerRecord {
    let r = this.record.containers[c.name];
    if (!r) {
      r = { name: c.name, id: containerId(this.record.uid, c.name), created: false, image: "", restartCount: 0, running: false, ready: false, started: false };
      this.record.containers[c.name] = r;
    }
    return r;
  }

  // ---- events from containerd -------------------------------------------------------------

  onTaskStart(name: string, pid: number): void {
    const r = this.record.containers[name];
    if (r) r.pid = pid;
  }

  onTaskExit(name: string, pid: number, exitCode: number, exitedAt: string): void {
    const r = this.record.containers[name];
    if (!r) return;
    if (this.starting.has(name)) {
      this.earlyExits.set(name, { pid, exitCode, exitedAt });
      return;
    }
    if (!r.running || (r.pid !== undefined && pid !== r.pid)) return;
    this.applyExit(r, exitCode, exitedAt);
    this.deps.requeue(this.record.uid);
  }

  onOom(name: string): void {
    const r = this.record.containers[name];
    if (r) r.oomKilled = true;
  }

  private applyExit(r: ContainerRecord, exitCode: number, exitedAt: string): void {
    const reason = r.oomKilled ? "OOMKilled" : exitCode === 0 ? "Completed" : "Error";
    r.running = false;
    r.ready = false;
    r.started = false;
    r.pid = undefined;
    r.terminated = { exitCode, reason, startedAt: r.startedAt, finishedAt: exitedAt || this.now(), containerID: `containerd://${r.id}` };
    if (r.killReason) r.terminated.message = r.killReason;
    this.probes.get(r.name)?.stop();
  }

  /** A task containerd no longer runs although the record says it does (a missed event). */
  async reconcileTasks(tasks: Map<string, { pid: number; status: string }>): Promise<boolean> {
    let changed = false;
    for (const r of Object.values(this.record.containers)) {
      if (!r.running || this.starting.has(r.name)) continue;
      const t = tasks.get(r.id);
      if (t && t.status !== "STOPPED") continue;
      const { exitCode } = await this.deps.runtime.deleteTask(r.id).catch(() => ({ exitCode: undefined }));
      this.applyExit(r, exitCode ?? 0, this.now());
      changed = true;
    }
    return changed;
  }

  // ---- the sync -----------------------------------------------------------------------------

  /** Syncs toward `pod`; undefined means the pod is gone from the API. Returns false once the worker is done. */
  async sync(pod: Pod | undefined): Promise<boolean> {
    if (this.gone) return false;
    if (!pod) {
      await this.teardown();
      return false;
    }
    if (pod.metadata?.deletionTimestamp) {
      await this.terminate(pod);
      return false;
    }
    this.record.startTime ??= this.now();
    let initialized = false;
    try {
      initialized = await this.advance(pod);
    } finally {
      await this.deps.records.save(this.record);
      await this.report(pod, initialized);
    }
    return true;
  }

  private async advance(pod: Pod): Promise<boolean> {
    if (this.record.terminal) {
      await this.stopSidecars(pod);
      return this.initDone(pod);
    }
    const sandbox = await this.ensureSandbox(pod);
    if (!sandbox) return false;
    let volumes: PreparedVolumes;
    const now = this.deps.clock.now();
    if (this.volumes && now - this.volumes.at < RECHECK_MS) volumes = this.volumes.prepared;
    else {
      try {
        volumes = await prepareVolumes(pod, { dataDir: this.deps.dataDir, lookup: this.deps.api, nodeName: this.deps.nodeName, podIP: sandbox.ip, hostIP: this.deps.hostIP() });
        this.volumes = { prepared: volumes, at: now };
      } catch (e) {
        this.configError(pod, e);
        return false;
      }
    }
    const initialized = await this.runInitContainers(pod, sandbox, volumes);
    if (initialized && !this.record.terminal) await this.runAppContainers(pod, sandbox, volumes);
    this.decideTerminal(pod);
    if (this.record.terminal) await this.stopSidecars(pod);
    return initialized;
  }

  private initDone(pod: Pod): boolean {
    return initContainers(pod).every((c) => {
      const r = this.record.containers[c.name];
      return isSidecar(c) ? r?.startedAt !== undefined : r?.terminated?.exitCode === 0 || r?.lastTerminated?.exitCode === 0;
    });
  }

  private sandboxSpec(pod: Pod): SandboxSpec {
    // Kubelet cuts a long pod name to 63 characters and drops what would end it badly.
    const hostname = String(pod.spec?.hostname || pod.metadata.name).slice(0, 63).replace(/[-.]+$/, "");
    const subdomain = pod.spec?.subdomain;
    return {
      id: sandboxId(pod.metadata.uid),
      hostname,
      podFqdn: subdomain ? `${hostname}.${subdomain}.${pod.metadata.namespace}.svc.${this.deps.dns.clusterDomain}` : undefined,
      hostsEntries: (pod.spec?.hostAliases ?? []).map((a: any) => ({ ip: a.ip, hostnames: a.hostnames ?? [] })),
      dns: podDnsSettings(pod, this.deps.dns),
      portMappings: appContainers(pod)
        .concat(initContainers(pod))
        .flatMap((c) => c.ports ?? [])
        .filter((p: any) => p.hostPort)
        .map((p: any) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: String(p.protocol ?? "TCP").toLowerCase() as "tcp", hostIP: p.hostIP })),
    };
  }

  private async ensureSandbox(pod: Pod): Promise<SandboxInfo | undefined> {
    const now = this.deps.clock.now();
    if (this.sandbox && now - this.sandbox.at < RECHECK_MS) return this.sandbox.info;
    try {
      const info = await this.deps.sandboxes.ensure(this.sandboxSpec(pod));
      if (info.created && this.record.sandboxReady) {
        // The sandbox was rebuilt under running containers: their network is gone, so they are
        // killed and restarted into the new one.
        for (const r of Object.values(this.record.containers)) if (r.running) await this.deps.runtime.kill(r.id, "SIGKILL").catch(() => undefined);
      }
      this.record.podIP = info.ip;
      this.record.sandboxReady = true;
      this.sandbox = { info, at: now };
      return info;
    } catch (e) {
      this.record.sandboxReady = false;
      this.deps.api.event(pod, "Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${message(e)}`);
      this.deps.requeue(this.record.uid, this.deps.clock.now() + RETRY_MS);
      return undefined;
    }
  }

  private configError(pod: Pod, e: unknown): void {
    if (!(e instanceof ContainerConfigError)) throw e;
    for (const c of [...initContainers(pod), ...appContainers(pod)]) {
      const r = this.containerRecord(c);
      if (!r.running) r.waiting = { reason: "CreateContainerConfigError", message: e.message };
    }
    this.deps.api.event(pod, "Warning", "Failed", `Error: ${e.message}`);
    this.deps.requeue(this.record.uid, this.deps.clock.now() + RETRY_MS);
  }

  private async runInitContainers(pod: Pod, sandbox: SandboxInfo, volumes: PreparedVolumes): Promise<boolean> {
    for (const c of initContainers(pod)) {
      const r = this.containerRecord(c);
      if (isSidecar(c)) {
        if (!r.running) await this.startOrRestart(pod, c, r, sandbox, volumes, true);
        if (!(r.running && r.started)) return false;
        continue;
      }
      if (!r.running && r.terminated?.exitCode === 0) continue;
      if (r.running) return false;
      if (r.terminated && restartPolicy(pod) === "Never") {
        this.record.terminal = "Failed";
        return false;
      }
      await this.startOrRestart(pod, c, r, sandbox, volumes, true);
      return false;
    }
    return true;
  }

  private async runAppContainers(pod: Pod, sandbox: SandboxInfo, volumes: PreparedVolumes): Promise<void> {
    const policy = restartPolicy(pod);
    for (const c of appContainers(pod)) {
      const r = this.containerRecord(c);
      if (r.running) continue;
      if (r.terminated) {
        const restart = policy === "Always" || (policy === "OnFailure" && r.terminated.exitCode !== 0);
        if (!restart) continue;
      }
      await this.startOrRestart(pod, c, r, sandbox, volumes, r.startedAt !== undefined);
    }
  }

  private decideTerminal(pod: Pod): void {
    if (this.record.terminal) return;
    const policy = restartPolicy(pod);
    if (policy === "Always") return;
    const apps = appContainers(pod).map((c) => this.record.containers[c.name]);
    if (apps.some((r) => !r || r.running || !r.terminated)) return;
    const failed = apps.some((r) => r!.terminated!.exitCode !== 0);
    if (policy === "OnFailure" && failed) return;
    this.record.terminal = failed ? "Failed" : "Succeeded";
  }

  /**
   * Starts a container, or restarts an ended one after its back-off. While the back-off runs the
   * container waits in CrashLoopBackOff with its last termination kept as lastState.
   */
  private async startOrRestart(pod: Pod, c: Container, r: ContainerRecord, sandbox: SandboxInfo, volumes: PreparedVolumes, isRestart: boolean): Promise<void> {
    const now = this.deps.clock.now();
    if (r.retryAt !== undefined && now < r.retryAt) {
      this.deps.requeue(this.record.uid, r.retryAt);
      return;
    }
    if (r.terminated) {
      const t = r.terminated;
      const ranFor = t.startedAt ? Date.parse(t.finishedAt) - Date.parse(t.startedAt) : 0;
      const plan = planRestart(r.backoffWindowMs, ranFor);
      r.lastTerminated = t;
      r.terminated = undefined;
      r.backoffWindowMs = plan.nextWindowMs;
      if (plan.delayMs > 0) {
        r.retryAt = now + plan.delayMs;
        r.waiting = { reason: "CrashLoopBackOff", message: `back-off ${Math.round(plan.delayMs / 1000)}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})` };
        this.deps.api.event(pod, "Warning", "BackOff", "Back-off restarting failed container");
        this.deps.requeue(this.record.uid, r.retryAt);
        return;
      }
    }
    r.retryAt = undefined;
    if (!(await this.ensureImage(pod, c, r))) return;
    let env: string[];
    let mounts: { source: string; destination: string; readOnly: boolean }[];
    try {
      env = await resolveEnv(pod, c, { nodeName: this.deps.nodeName, podIP: sandbox.ip, podIPs: [sandbox.ip], hostIP: this.deps.hostIP(), lookup: this.deps.api });
      mounts = containerMounts(c, volumes, pod, env);
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      r.waiting = { reason: "CreateContainerConfigError", message: e.message };
      this.deps.api.event(pod, "Warning", "Failed", `Error: ${e.message}`);
      this.deps.requeue(this.record.uid, now + RETRY_MS);
      return;
    }
    await this.start(pod, c, r, sandbox, env, mounts, isRestart && r.startedAt !== undefined);
  }

  private async ensureImage(pod: Pod, c: Container, r: ContainerRecord): Promise<boolean> {
    const image = normalizeImageRef(String(c.image));
    const policy = pullPolicy(c);
    const present = (await this.deps.images.digest(image)) !== undefined;
    if (policy === "Never" && !present) {
      r.waiting = { reason: "ErrImageNeverPull", message: `Container image "${c.image}" is not present with pull policy of Never` };
      this.deps.api.event(pod, "Warning", "ErrImageNeverPull", r.waiting.message!);
      this.deps.requeue(this.record.uid, this.deps.clock.now() + RETRY_MS);
      return false;
    }
    if (policy === "Always" || !present) {
      this.deps.api.event(pod, "Normal", "Pulling", `Pulling image "${c.image}"`);
      try {
        await this.deps.runtime.pullImage(image);
        this.deps.images.invalidate();
        r.pullWindowMs = undefined;
        this.deps.api.event(pod, "Normal", "Pulled", `Successfully pulled image "${c.image}"`);
      } catch (e) {
        const window = r.pullWindowMs === undefined ? PULL_BACKOFF_INITIAL_MS : Math.min(r.pullWindowMs * 2, PULL_BACKOFF_MAX_MS);
        const firstFailure = r.pullWindowMs === undefined;
        r.pullWindowMs = window;
        r.retryAt = this.deps.clock.now() + window;
        r.waiting = firstFailure
          ? { reason: "ErrImagePull", message: `failed to pull image "${c.image}": ${message(e)}` }
          : { reason: "ImagePullBackOff", message: `Back-off pulling image "${c.image}"` };
        this.deps.api.event(pod, "Warning", "Failed", `Failed to pull image "${c.image}": ${message(e)}`);
        this.deps.requeue(this.record.uid, firstFailure ? this.deps.clock.now() + 1_000 : r.retryAt);
        if (firstFailure) r.retryAt = this.deps.clock.now() + 1_000;
        return false;
      }
    } else if (!r.created || r.image !== image) {
      this.deps.api.event(pod, "Normal", "Pulled", `Container image "${c.image}" already present on machine`);
    }
    return true;
  }

  private async imageID(image: string): Promise<string> {
    const digest = await this.deps.images.digest(image).catch(() => undefined);
    if (!digest) return "";
    const repo = image.replace(/(@.*|:[^:/]+)$/, "");
    return `${repo}@${digest}`;
  }

  private async start(pod: Pod, c: Container, r: ContainerRecord, sandbox: SandboxInfo, env: string[], mounts: RunMount[], isRestart: boolean): Promise<void> {
    const rt = this.deps.runtime;
    const image = normalizeImageRef(String(c.image));
    const restartCount = isRestart ? r.restartCount + 1 : r.restartCount;
    this.starting.add(c.name);
    this.earlyExits.delete(c.name);
    const startedAt = this.now();
    try {
      const config = await this.deps.images.config(image);
      const spec = buildRunSpec({ pod, container: c, containerId: r.id, image, imageEntrypoint: config.entrypoint, env, mounts, sandbox, nodeName: this.deps.nodeName, dataDir: this.deps.dataDir, restartCount });
      if (r.created && r.image !== image) {
        await rt.deleteContainer(r.id);
        r.created = false;
      }
      if (r.created) {
        await rt.deleteTask(r.id).catch(() => undefined);
        await rt.startTask(r.id, spec.logPath);
      } else {
        await rt.run(spec).catch(async (e) => {
          // A container of ours with this id, left without a record (say, the record was lost).
          if (!(e instanceof CtrError) || e.kind !== "AlreadyExists") throw e;
          await rt.deleteContainer(r.id);
          await rt.run(spec);
        });
      }
      r.created = true;
      r.image = image;
      r.imageID = await this.imageID(image);
      r.restartCount = restartCount;
      r.running = true;
      r.startedAt = startedAt;
      r.waiting = undefined;
      r.terminated = undefined;
      r.oomKilled = false;
      r.killReason = undefined;
      this.deps.api.event(pod, "Normal", "Created", `Created container ${c.name}`);
      this.deps.api.event(pod, "Normal", "Started", `Started container ${c.name}`);
      this.startProbes(pod, c, r);
    } catch (e) {
      // The container could not start (say, its executable is missing): kubelet reports that as
      // a termination with exit code 128 and reason StartError, then backs off like any crash.
      r.created = true;
      r.image = image;
      r.restartCount = restartCount;
      r.running = false;
      r.startedAt = startedAt;
      r.waiting = undefined;
      r.terminated = { exitCode: 128, reason: "StartError", message: message(e), startedAt, finishedAt: this.now(), containerID: `containerd://${r.id}` };
      this.deps.api.event(pod, "Warning", "Failed", `Error: ${message(e)}`);
      this.deps.requeue(this.record.uid);
    } finally {
      this.starting.delete(c.name);
      const early = this.earlyExits.get(c.name);
      this.earlyExits.delete(c.name);
      if (early && r.running && (r.pid === undefined || r.pid === early.pid)) {
        this.applyExit(r, early.exitCode, early.exitedAt);
        this.deps.requeue(this.record.uid);
      }
    }
  }

  private startProbes(pod: Pod, c: Container, r: ContainerRecord): void {
    this.probes.get(c.name)?.stop();
    const rt = this.deps.runtime;
    const probes = new ContainerProbes(c, { exec: (argv, timeoutMs) => rt.exec(r.id, argv, { timeoutMs }), podIP: () => this.record.podIP }, {
      now: () => this.deps.clock.now(),
      onChange: (s) => {
        if (!r.running) return;
        r.started = s.started;
        r.ready = s.ready;
        this.deps.requeue(this.record.uid);
      },
      onFailure: (kind, msg) => {
        if (!r.running) return;
        r.killReason = msg;
        this.deps.api.event(pod, "Normal", "Killing", `Container ${c.name} failed ${kind} probe, will be restarted`);
        void this.killContainer(r, gracePeriodSeconds({ spec: pod.spec }));
      },
      onUnhealthy: (_kind, msg) => this.deps.api.event(pod, "Warning", "Unhealthy", msg),
    });
    this.probes.set(c.name, probes);
    r.started = probes.state.started;
    r.ready = probes.state.ready;
    probes.start();
  }

  // ---- stopping ---------------------------------------------------------------------------

  /** SIGTERM, then SIGKILL once the grace period is over; resolves when the task has ended. */
  private async killContainer(r: ContainerRecord, graceSeconds: number): Promise<void> {
    if (!r.running) return;
    const rt = this.deps.runtime;
    await rt.kill(r.id, graceSeconds > 0 ? "SIGTERM" : "SIGKILL").catch(() => undefined);
    const deadline = this.deps.clock.now() + graceSeconds * 1000;
    if (await this.waitStopped([r], deadline)) return;
    await rt.kill(r.id, "SIGKILL").catch(() => undefined);
    await this.waitStopped([r], this.deps.clock.now() + 5_000);
  }

  private async waitStopped(rs: ContainerRecord[], deadline: number): Promise<boolean> {
    let lastCheck = 0;
    while (rs.some((r) => r.running)) {
      const now = this.deps.clock.now();
      if (now >= deadline) return false;
      if (now - lastCheck >= 1_000) {
        lastCheck = now;
        await this.reconcileTasks(await this.deps.runtime.listTasks().catch(() => new Map()));
        if (!rs.some((r) => r.running)) break;
      }
      await this.deps.sleep(100);
    }
    return true;
  }

  private async stopSidecars(pod: Pod): Promise<void> {
    const sidecars = initContainers(pod).filter(isSidecar).reverse();
    for (const c of sidecars) {
      const r = this.record.containers[c.name];
      if (r?.running) await this.killContainer(r, Math.min(gracePeriodSeconds(pod), 5));
    }
  }

  /** Graceful deletion: app containers get SIGTERM and the grace period, then the sidecars. */
  private async terminate(pod: Pod): Promise<void> {
    const grace = gracePeriodSeconds(pod);
    const deadline = this.deps.clock.now() + grace * 1000;
    const apps = appContainers(pod).map((c) => this.record.containers[c.name]).filter((r): r is ContainerRecord => !!r?.running);
    const inits = initContainers(pod).map((c) => this.record.containers[c.name]).filter((r): r is ContainerRecord => !!r?.running);
    for (const r of apps) this.deps.api.event(pod, "Normal", "Killing", `Stopping container ${r.name}`);
    await this.stopAll(apps, deadline);
    await this.stopAll(inits.reverse(), Math.max(deadline, this.deps.clock.now() + 2_000));
    for (const p of this.probes.values()) p.stop();
    await this.report(pod, this.initDone(pod)).catch(() => undefined);
    await this.cleanUp();
    try {
      await this.deps.api.deletePod(pod.metadata.namespace, pod.metadata.name, pod.metadata.uid);
    } catch {
      // Not gone from the API yet (say, it is unreachable): the next sync deletes it again.
      this.gone = false;
      this.deps.requeue(this.record.uid, this.deps.clock.now() + RETRY_MS);
    }
  }

  private async stopAll(rs: ContainerRecord[], deadline: number): Promise<void> {
    if (rs.length === 0) return;
    const rt = this.deps.runtime;
    const graceLeft = deadline - this.deps.clock.now();
    await Promise.all(rs.map((r) => rt.kill(r.id, graceLeft > 0 ? "SIGTERM" : "SIGKILL").catch(() => undefined)));
    if (await this.waitStopped(rs, deadline)) return;
    await Promise.all(rs.filter((r) => r.running).map((r) => rt.kill(r.id, "SIGKILL").catch(() => undefined)));
    await this.waitStopped(rs, this.deps.clock.now() + 5_000);
  }

  /** The pod vanished from the API (force-deleted, or deleted while the agent was away). */
  private async teardown(): Promise<void> {
    const running = Object.values(this.record.containers).filter((r) => r.running);
    await this.stopAll(running, this.deps.clock.now());
    for (const p of this.probes.values()) p.stop();
    await this.cleanUp();
  }

  private async cleanUp(): Promise<void> {
    const rt = this.deps.runtime;
    for (const r of Object.values(this.record.containers)) await rt.deleteContainer(r.id).catch(() => undefined);
    await this.deps.sandboxes.remove(sandboxId(this.record.uid));
    await removePodVolumes(this.deps.dataDir, this.record.uid);
    await removePodLogs(this.deps.dataDir, this.record.uid);
    await this.deps.records.remove(this.record.uid);
    this.gone = true;
  }

  // ---- status ---------------------------------------------------------------------------

  private async report(pod: Pod, initialized: boolean): Promise<void> {
    const base = this.lastSent ? { ...pod, status: { ...pod.status, conditions: this.lastSent.conditions } } : pod;
    const status = computeStatus({ pod: base, record: this.record, hostIP: this.deps.hostIP(), now: this.now(), initialized });
    const key = JSON.stringify(status, (k, v) => (k === "lastTransitionTime" ? undefined : v));
    if (key === this.lastSentKey) return;
    try {
      await this.deps.api.patchStatus(pod.metadata.namespace, pod.metadata.name, status);
      this.lastSent = status;
      this.lastSentKey = key;
    } catch {
      this.deps.requeue(this.record.uid, this.deps.clock.now() + RETRY_MS);
    }
  }

  /** The containerd id and state of a container, for logs. */
  container(name: string): ContainerRecord | undefined {
    return this.record.containers[name];
  }

  stopProbes(): void {
    for (const p of this.probes.values()) p.stop();
  }
}

type RunMount = { source: string; destination: string; readOnly: boolean };

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export type { Termination };
