/**
 * Pod rows: the READY / STATUS / RESTARTS summary users read most. STATUS is not just the
 * phase: it surfaces the most telling container reason (CrashLoopBackOff, ErrImagePull,
 * Completed...), init progress ("Init:1/2"), and deletion ("Terminating").
 */
import { AGE_COLUMN, col, NAME_COLUMN, wide, type Printer, type PrintedRow, type RowCondition } from "./columns";
import { humanDuration } from "./human-duration";
import { int, rec, recs, str, type Obj } from "./object-access";
import { parseTime, since } from "./timestamps";

const SUCCEEDED: RowCondition[] = [{ type: "Completed", status: "True", reason: "Succeeded", message: "The pod completed successfully." }];
const FAILED: RowCondition[] = [{ type: "Completed", status: "True", reason: "Failed", message: "The pod failed." }];
/** The reason the node lifecycle controller gives pods on an unreachable node. */
const NODE_LOST = "NodeLost";

/** Restart totals and the latest restart time over a group of container statuses. */
interface RestartTally {
  count: number;
  /** Epoch ms of the newest lastState.terminated.finishedAt, 0 when none. */
  last: number;
}

function tally(t: RestartTally, status: Obj): void {
  t.count += int(status.restartCount);
  const finished = parseTime(rec(rec(status.lastState).terminated).finishedAt);
  if (finished !== undefined && finished > t.last) t.last = finished;
}

function hasCondition(status: Obj, type: string): boolean {
  return recs(status.conditions).some((c) => c.type === type && c.status === "True");
}

/** "Init:Error", "Init:Signal:9", "Init:ExitCode:1" for a failed init container. */
function terminatedReason(term: Obj, prefix: string): string {
  if (str(term.reason)) return prefix + str(term.reason);
  if (int(term.signal) !== 0) return `${prefix}Signal:${int(term.signal)}`;
  return `${prefix}ExitCode:${int(term.exitCode)}`;
}

function printPod(pod: Obj, now: Date): PrintedRow {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  for (const c of recs(status.conditions)) {
    if (c.type === "PodScheduled" && c.reason === "SchedulingGated") reason = "SchedulingGated";
  }

  const initSpecs = recs(spec.initContainers);
  // Init containers with restartPolicy Always are sidecars: they count as regular containers.
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === "Always").map((c) => str(c.name)));
  const total = recs(spec.containers).length + sidecars.size;
  let ready = 0;

  const all: RestartTally = { count: 0, last: 0 };
  const sidecarOnly: RestartTally = { count: 0, last: 0 };
  let initializing = false;
  const initStatuses = recs(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    const isSidecar = sidecars.has(str(c.name));
    tally(all, c);
    if (isSidecar) tally(sidecarOnly, c);
    const state = rec(c.state);
    const term = state.terminated === undefined ? undefined : rec(state.terminated);
    const waitingReason = str(rec(state.waiting).reason);
    if (term && int(term.exitCode) === 0) continue;
    if (isSidecar && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    initializing = true;
    if (term) reason = terminatedReason(term, "Init:");
    else if (waitingReason && waitingReason !== "PodInitializing") reason = `Init:${waitingReason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    break;
  }

  let restarts = all;
  if (!initializing || hasCondition(status, "Initialized")) {
    // Once initialized, finished init containers' restarts no longer count; sidecars' do.
    restarts = { ...sidecarOnly };
    let hasRunning = false;
    const statuses = recs(status.containerStatuses);
    // Walk backwards so the first container's reason wins.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      tally(restarts, c);
      const state = rec(c.state);
      const waitingReason = str(rec(state.waiting).reason);
      const term = state.terminated === undefined ? undefined : rec(state.terminated);
      if (waitingReason) reason = waitingReason;
      else if (term) reason = terminatedReason(term, "");
      else if (c.ready === true && state.running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    // A pod whose main containers exited but a sidecar still runs is not "Completed".
    if (reason === "Completed" && hasRunning) reason = hasCondition(status, "Ready") ? "Running" : "NotReady";
  }

  const deleting = rec(pod.metadata).deletionTimestamp !== undefined && rec(pod.metadata).deletionTimestamp !== null;
  if (deleting && status.reason === NODE_LOST) reason = "Unknown";
  else if (deleting && phase !== "Succeeded" && phase !== "Failed") reason = "Terminating";

  const restartCell =
    restarts.count !== 0 && restarts.last !== 0 ? `${restarts.count} (${humanDuration(now.getTime() - restarts.last)} ago)` : String(restarts.count);

  const podIPs = recs(status.podIPs);
  const ip = str(podIPs[0]?.ip) || (podIPs.length === 0 ? str(status.podIP) : "");
  const gates = recs(spec.readinessGates);
  let gateCell = "<none>";
  if (gates.length > 0) {
    const conditions = recs(status.conditions);
    const passed = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === "True").length;
    gateCell = `${passed}/${gates.length}`;
  }

  const row: PrintedRow = {
    cells: [
      str(rec(pod.metadata).name),
      `${ready}/${total}`,
      reason,
      restartCell,
      since(now, rec(pod.metadata).creationTimestamp),
      ip || "<none>",
      str(spec.nodeName) || "<none>",
      str(status.nominatedNodeName) || "<none>",
      gateCell,
    ],
  };
  if (phase === "Succeeded") row.conditions = SUCCEEDED;
  else if (phase === "Failed") row.conditions = FAILED;
  return row;
}

/** core/v1 pods. */
export const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("Ready", "string", "Ready containers out of all containers (sidecars included)."),
    col("Status", "string", "The most telling state among the pod's phase and its containers."),
    col("Restarts", "string", "Container restarts, and how long ago the last one was."),
    AGE_COLUMN,
    wide("IP", "string", "The pod's first IP address."),
    wide("Node", "string", "The node the pod is bound to."),
    wide("Nominated Node", "string", "The node the scheduler nominated after preempting pods there."),
    wide("Readiness Gates", "string", "Readiness gates whose condition is True, out of all gates."),
  ],
  print: printPod,
};
