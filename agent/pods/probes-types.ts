/** The vocabulary shared by the probe scheduler and the probe handlers. */

export type ProbeKind = "startup" | "liveness" | "readiness";

/** Where probes reach the container: a process inside it, and the pod's address. */
export interface ProbeTarget {
  exec(argv: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }>;
  podIP(): string | undefined;
}

export interface ProbeState {
  started: boolean;
  ready: boolean;
}

/** The timer functions probes use, injectable so tests can run them on a fake clock. */
export interface ProbeTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * What one run of a probe handler found. `warning` is healthy (a redirect to another host);
 * `error` means the probe could not run at all (no pod IP yet, a port name the container does
 * not have) and, as with the kubelet, counts neither way.
 */
export interface ProbeOutcome {
  result: "success" | "failure" | "warning" | "error";
  output: string;
}
