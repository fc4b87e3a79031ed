/**
 * Kubelet's crash-loop back-off: the first restart is immediate, then 10 s, doubling up to
 * 5 minutes; a container that ran cleanly for 10 minutes starts over.
 */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
const RESET_AFTER_RUN_MS = 600_000;

export interface RestartPlan {
  /** How long to wait before this restart. */
  delayMs: number;
  /** The window to remember for the restart after this one. */
  nextWindowMs: number;
}

/** Plans a restart from the remembered window (undefined = none yet) and how long the container last ran. */
export function planRestart(windowMs: number | undefined, ranForMs: number): RestartPlan {
  if (windowMs === undefined || ranForMs >= RESET_AFTER_RUN_MS) return { delayMs: 0, nextWindowMs: BACKOFF_INITIAL_MS };
  return { delayMs: windowMs, nextWindowMs: Math.min(windowMs * 2, BACKOFF_MAX_MS) };
}
