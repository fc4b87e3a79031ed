import type { ContainerRecord, PodRecord, Termination } from "./pod-record";
import { appContainers, type Container, initContainers, isSidecar, type Pod, restartPolicy } from "./pod-spec";

/**
 * The pod status the agent reports, computed from the spec and what the agent knows: the same
 * phase rules, conditions and container states the kubelet reports, so `kubectl get` and
 * `describe` read as on any cluster.
 */
export interface StatusInputs {
  pod: Pod;
  record: PodRecord;
  hostIP: string;
  now: string;
  /** Init containers all done (sidecars started); the app containers may run. */
  initialized: boolean;
}

function terminatedState(t: Termination): Record<string, unknown> {
  const s: Record<string, unknown> = { exitCode: t.exitCode, reason: t.reason, startedAt: t.startedAt ?? null, finishedAt: t.finishedAt, containerID: t.containerID };
  if (t.message) s.message = t.message;
  return s;
}

function containerStatus(c: Container, r: ContainerRecord | undefined): Record<string, unknown> {
  const base = { name: c.name, image: c.image, imageID: r?.imageID ?? "", restartCount: r?.restartCount ?? 0 };
  if (!r) return { ...base, state: { waiting: { reason: "PodInitializing" } }, lastState: {}, ready: false, started: false };
  let state: Record<string, unknown>;
  if (r.running) state = { running: { startedAt: r.startedAt } };
  else if (r.waiting) state = { waiting: r.waiting.message ? { ...r.waiting } : { reason: r.waiting.reason } };
  else if (r.terminated) state = { terminated: terminatedState(r.terminated) };
  else state = { waiting: { reason: "ContainerCreating" } };
  const out: Record<string, unknown> = {
    ...base,
    state,
    lastState: r.lastTerminated ? { terminated: terminatedState(r.lastTerminated) } : {},
    ready: r.running && r.ready,
    started: r.running && r.started,
  };
  if (r.created) out.containerID = `containerd://${r.id}`;
  return out;
}

/** Upstream's phase rules over the app containers (sidecars never decide the phase). */
export function podPhase(pod: Pod, record: PodRecord, initialized: boolean): string {
  if (record.terminal) return record.terminal;
  if (!initialized) return "Pending";
  const policy = restartPolicy(pod);
  let running = 0, waitingFirst = 0, succeeded = 0, failed = 0;
  for (const c of appContainers(pod)) {
    const r = record.containers[c.name];
    if (r?.running) running++;
    else if (r?.terminated && !r.waiting) (r.terminated.exitCode === 0 ? succeeded++ : failed++);
    else if (r?.lastTerminated) (r.lastTerminated.exitCode === 0 ? succeeded++ : failed++);
    else waitingFirst++;
  }
  if (waitingFirst > 0) return "Pending";
  if (running > 0) return "Running";
  if (policy === "Always") return "Running";
  if (policy === "OnFailure") return failed > 0 ? "Running" : "Succeeded";
  return failed > 0 ? "Failed" : "Succeeded";
}

interface Condition { type: string; status: "True" | "False"; reason?: string; message?: string }

function keepTransitionTimes(next: Condition[], previous: any[] | undefined, now: string): Record<string, unknown>[] {
  return next.map((c) => {
    const old = previous?.find((p) => p?.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime ?? now : now;
    return { ...c, lastProbeTime: null, lastTransitionTime };
  });
}

export function computeStatus(x: StatusInputs): Record<string, unknown> {
  const { pod, record } = x;
  const inits = initContainers(pod);
  const apps = appContainers(pod);
  const phase = podPhase(pod, record, x.initialized);
  const incompleteInit = inits
    .filter((c) => {
      const r = record.containers[c.name];
      if (isSidecar(c)) return !(r?.running && r.started);
      return !(r?.terminated?.exitCode === 0 && !r.running);
    })
    .map((c) => c.name);
  const unready = [...inits.filter(isSidecar), ...apps]
    .filter((c) => {
      const r = record.containers[c.name];
      return !(r?.running && r.ready);
    })
    .map((c) => c.name);
  const terminal = phase === "Succeeded" || phase === "Failed";
  const ready = unready.length === 0 && !terminal;
  const conditions: Condition[] = [
    { type: "PodReadyToStartContainers", status: record.sandboxReady && !terminal ? "True" : "False" },
    x.initialized || incompleteInit.length === 0
      ? { type: "Initialized", status: "True" }
      : { type: "Initialized", status: "False", reason: "ContainersNotInitialized", message: `containers with incomplete status: [${incompleteInit.join(" ")}]` },
    ready ? { type: "Ready", status: "True" } : { type: "Ready", status: "False", reason: terminal ? "PodCompleted" : "ContainersNotReady", message: terminal ? undefined : `containers with unready status: [${unready.join(" ")}]` },
    ready ? { type: "ContainersReady", status: "True" } : { type: "ContainersReady", status: "False", reason: terminal ? "PodCompleted" : "ContainersNotReady", message: terminal ? undefined : `containers with unready status: [${unready.join(" ")}]` },
  ];
  for (const c of conditions) if (c.message === undefined) delete c.message;
  const previous: any[] = pod.status?.conditions ?? [];
  const scheduled = previous.filter((c) => c?.type === "PodScheduled");
  const status: Record<string, unknown> = {
    phase,
    conditions: [...keepTransitionTimes(conditions, previous, x.now), ...scheduled],
    hostIP: x.hostIP,
    hostIPs: [{ ip: x.hostIP }],
    startTime: record.startTime ?? x.now,
    containerStatuses: apps.map((c) => containerStatus(c, record.containers[c.name])),
  };
  if (record.podIP) {
    status.podIP = record.podIP;
    status.podIPs = [{ ip: record.podIP }];
  }
  if (inits.length > 0) status.initContainerStatuses = inits.map((c) => containerStatus(c, record.containers[c.name]));
  if (record.terminalReason) status.reason = record.terminalReason;
  if (pod.status?.qosClass) status.qosClass = pod.status.qosClass;
  return status;
}
