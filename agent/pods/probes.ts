/**
 * A container's startup, liveness and readiness probes, scheduled and counted as the kubelet
 * does:
 *
 * - Without a startup probe the container counts as started at once; with one, liveness and
 *   readiness wait until it has succeeded, and their initialDelaySeconds count from then.
 * - Without a readiness probe the container is ready as soon as it has started.
 * - Readiness flips after successThreshold consecutive successes or failureThreshold
 *   consecutive failures; it starts out not ready.
 * - failureThreshold consecutive failures of the startup or liveness probe call onFailure, and
 *   probing pauses until start() is called for the restarted container.
 * - Defaults: periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3,
 *   initialDelaySeconds 0. Each probe runs every period, measured from the start of one
 *   attempt to the start of the next.
 *
 * A probe that cannot run at all (no pod IP yet, an unknown port name) reports an "errored"
 * Unhealthy message and counts neither way, as upstream.
 */
import { systemClock } from "../../src/lib/clock";
import type { Container } from "./pod-spec";
import { runProbeHandler } from "./probes-handler";
import type { ProbeKind, ProbeOutcome, ProbeState, ProbeTarget, ProbeTimers } from "./probes-types";

export type { ProbeKind, ProbeState, ProbeTarget, ProbeTimers } from "./probes-types";

export interface ContainerProbesOptions {
  /** The container's started or ready state changed. */
  onChange(state: ProbeState): void;
  /** A startup or liveness probe reached its failure threshold: the caller kills and restarts the container. */
  onFailure(kind: "startup" | "liveness", message: string): void;
  /** Every failed attempt, with the text of the kubelet's "Unhealthy" event. */
  onUnhealthy?(kind: ProbeKind, message: string): void;
  timers?: ProbeTimers;
  now?: () => number;
}

interface ProbeSchedule {
  spec: any;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

const KINDS: ProbeKind[] = ["startup", "liveness", "readiness"];
const TITLES: Record<ProbeKind, string> = { startup: "Startup", liveness: "Liveness", readiness: "Readiness" };

const realTimers: ProbeTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * @example
 * const probes = new ContainerProbes(container, { exec: (argv, ms) => runtime.exec(id, argv, { timeoutMs: ms }), podIP: () => ip }, {
 *   onChange: (s) => report(s),
 *   onFailure: (kind, message) => restart(message),
 *   onUnhealthy: (kind, message) => event("Warning", "Unhealthy", message),
 * });
 * probes.start(); // each time the container (re)starts
 */
export class ContainerProbes {
  private readonly schedules: Partial<Record<ProbeKind, ProbeSchedule>> = {};
  private readonly timers: ProbeTimers;
  private readonly now: () => number;
  private readonly pending = new Map<ProbeKind, unknown>();
  private readonly runs = new Map<ProbeKind, { lastOk: boolean; count: number }>();
  private current: ProbeState = { started: false, ready: false };
  /** Bumped by start() and stop(), so that attempts still in flight from before are ignored. */
  private generation = 0;
  private held = false;

  constructor(
    private readonly container: Container,
    private readonly target: ProbeTarget,
    private readonly opts: ContainerProbesOptions,
  ) {
    this.timers = opts.timers ?? realTimers;
    this.now = opts.now ?? systemClock.now;
    for (const kind of KINDS) {
      const spec = container[`${kind}Probe`];
      if (spec) this.schedules[kind] = scheduleOf(spec);
    }
  }

  get state(): ProbeState {
    return { ...this.current };
  }

  /** The container (re)started now: forget earlier results and schedule from initialDelaySeconds. */
  start(): void {
    this.cancelPending();
    this.generation++;
    this.held = false;
    this.runs.clear();
    const started = !this.schedules.startup;
    this.setState({ started, ready: started && !this.schedules.readiness });
    if (this.schedules.startup) this.schedule("startup", this.schedules.startup.initialDelayMs);
    else this.beginAfterStartup();
  }

  /** Stops probing; the state goes back to not started and not ready without a change callback. */
  stop(): void {
    this.cancelPending();
    this.generation++;
    this.current = { started: false, ready: false };
  }

  private beginAfterStartup(): void {
    for (const kind of ["liveness", "readiness"] as const) {
      const s = this.schedules[kind];
      if (s) this.schedule(kind, s.initialDelayMs);
    }
  }

  private schedule(kind: ProbeKind, delayMs: number): void {
    const generation = this.generation;
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(kind);
      void this.attempt(kind, generation);
    }, delayMs);
    this.pending.set(kind, handle);
  }

  private cancelPending(): void {
    for (const handle of this.pending.values()) this.timers.clearTimeout(handle);
    this.pending.clear();
  }

  private async attempt(kind: ProbeKind, generation: number): Promise<void> {
    const s = this.schedules[kind]!;
    const began = this.now();
    const outcome = await runProbeHandler(s.spec, { container: this.container, target: this.target, timers: this.timers, timeoutMs: s.timeoutMs });
    if (generation !== this.generation || this.held) return;
    this.record(kind, s, outcome);
    if (generation !== this.generation || this.held || (kind === "startup" && this.current.started)) return;
    this.schedule(kind, Math.max(0, s.periodMs - (this.now() - began)));
  }

  private record(kind: ProbeKind, s: ProbeSchedule, outcome: ProbeOutcome): void {
    if (outcome.result === "error") {
      this.opts.onUnhealthy?.(kind, `${TITLES[kind]} probe errored and resulted in unknown state: ${outcome.output}`);
      return;
    }
    const ok = outcome.result !== "failure";
    const message = `${TITLES[kind]} probe failed: ${outcome.output}`;
    if (!ok) this.opts.onUnhealthy?.(kind, message);
    const run = this.runs.get(kind);
    const count = run && run.lastOk === ok ? run.count + 1 : 1;
    this.runs.set(kind, { lastOk: ok, count });
    if (count < (ok ? s.successThreshold : s.failureThreshold)) return;
    if (kind === "readiness") {
      this.setState({ ...this.current, ready: ok });
    } else if (!ok) {
      this.held = true;
      this.cancelPending();
      this.opts.onFailure(kind, message);
    } else if (kind === "startup" && !this.current.started) {
      this.setState({ started: true, ready: !this.schedules.readiness });
      this.beginAfterStartup();
    }
  }

  private setState(next: ProbeState): void {
    if (next.started === this.current.started && next.ready === this.current.ready) return;
    this.current = next;
    this.opts.onChange({ ...next });
  }
}

function scheduleOf(spec: any): ProbeSchedule {
  return {
    spec,
    initialDelayMs: whole(spec.initialDelaySeconds, 0, 0) * 1000,
    periodMs: whole(spec.periodSeconds, 10, 1) * 1000,
    timeoutMs: whole(spec.timeoutSeconds, 1, 1) * 1000,
    successThreshold: whole(spec.successThreshold, 1, 1),
    failureThreshold: whole(spec.failureThreshold, 3, 1),
  };
}

/** A whole number of at least `min`, or the default when unset or out of range. */
function whole(v: unknown, fallback: number, min: number): number {
  return typeof v === "number" && Number.isInteger(v) && v >= min ? v : fallback;
}
