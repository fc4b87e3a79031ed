import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** What happened to a container's task (its init process; exec'd processes are left out). */
export type TaskEvent =
  | { topic: "exit"; containerId: string; pid: number; exitCode: number; exitedAt: string }
  | { topic: "oom"; containerId: string }
  | { topic: "start"; containerId: string; pid: number }
  | { topic: "delete"; containerId: string };

export interface WatchEventsOptions {
  namespace: string;
  address?: string;
  /** The ctr program. */
  bin?: string;
  onEvent(e: TaskEvent): void;
  /** Told about a dead `ctr events` (it is restarted), an unreadable line or a throwing onEvent. */
  onError?(err: Error): void;
  /** Restart back-off: starts at minBackoffMs, doubles up to maxBackoffMs, resets on output. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface EventWatch {
  stop(): void;
}

// "2026-11-27 23:20:10.810141002 +0000 UTC <namespace> /tasks/exit {json}"
const EVENT_LINE = /^\S+ \S+ \S+ \S+ (\S+) (\/\S+) (.*)$/;

interface TaskEventFields {
  container_id?: string;
  /** The process: the container id for the init process, the exec id for an exec. */
  id?: string;
  pid?: number;
  exit_status?: number;
  exited_at?: string;
}

/**
 * Parses one line of `ctr events` output into a task event of `namespace`, or undefined for
 * other namespaces, other topics and exec'd processes. Protobuf's JSON leaves out zero values,
 * so a missing exit_status is exit code 0.
 */
export function parseEventLine(line: string, namespace: string): TaskEvent | undefined {
  const m = EVENT_LINE.exec(line);
  if (!m || m[1] !== namespace) return undefined;
  const topic = m[2];
  if (!["/tasks/exit", "/tasks/oom", "/tasks/start", "/tasks/delete"].includes(topic)) return undefined;
  const f = JSON.parse(m[3]) as TaskEventFields;
  const containerId = f.container_id;
  if (!containerId) return undefined;
  const isInit = f.id === undefined || f.id === "" || f.id === containerId;
  switch (topic) {
    case "/tasks/exit":
      if (!isInit) return undefined;
      return { topic: "exit", containerId, pid: f.pid ?? 0, exitCode: f.exit_status ?? 0, exitedAt: f.exited_at ?? "" };
    case "/tasks/oom":
      return { topic: "oom", containerId };
    case "/tasks/start":
      return { topic: "start", containerId, pid: f.pid ?? 0 };
    default:
      return isInit ? { topic: "delete", containerId } : undefined;
  }
}

/**
 * Follows containerd's task events for one namespace through a long-running `ctr events`,
 * restarting it (with back-off) whenever it dies. Nothing is thrown to the caller: problems go
 * to onError. Events that happen while ctr is restarting are missed, so callers still reconcile
 * from listTasks now and then.
 *
 * @example
 * const watch = watchEvents({ namespace: "flotilla", onEvent: (e) => console.log(e) });
 * // later
 * watch.stop();
 */
export function watchEvents(opts: WatchEventsOptions): EventWatch {
  const minBackoff = opts.minBackoffMs ?? 200;
  const maxBackoff = opts.maxBackoffMs ?? 10_000;
  const args = [...(opts.address ? ["--address", opts.address] : []), "--namespace", opts.namespace, "events"];
  let backoff = minBackoff;
  let stopped = false;
  let child: ChildProcess | undefined;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  const report = (err: unknown) => {
    try {
      opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // the error handler itself failed; there is nobody left to tell
    }
  };

  const start = () => {
    if (stopped) return;
    const proc = spawn(opts.bin ?? "ctr", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    let stderrTail = "";
    let ended = false;
    proc.stderr?.on("data", (d: Buffer) => {
      stderrTail = (stderrTail + d.toString("utf8")).slice(-2_000);
    });
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      backoff = minBackoff;
      let event: TaskEvent | undefined;
      try {
        event = parseEventLine(line, opts.namespace);
      } catch (err) {
        report(new Error(`unreadable ctr event ${JSON.stringify(line)}: ${String(err)}`));
        return;
      }
      if (!event) return;
      try {
        opts.onEvent(event);
      } catch (err) {
        report(err);
      }
    });
    const restart = (why: string) => {
      if (ended) return;
      ended = true;
      if (child === proc) child = undefined;
      if (stopped) return;
      report(new Error(`ctr events ${why}${stderrTail.trim() ? `: ${stderrTail.trim()}` : ""}; restarting in ${backoff} ms`));
      restartTimer = setTimeout(start, backoff);
      backoff = Math.min(backoff * 2, maxBackoff);
    };
    proc.on("error", (err) => restart(`failed: ${err.message}`));
    proc.on("close", (code, signal) => restart(`exited (${signal ?? `code ${code}`})`));
  };

  start();
  return {
    stop() {
      stopped = true;
      clearTimeout(restartTimer);
      child?.kill("SIGTERM");
      child = undefined;
    },
  };
}
