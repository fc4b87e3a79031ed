import { type FileHandle, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseCriRecord } from "./cri-record";
import { LogRenderer } from "./log-renderer";
import { tailStartOffset } from "./tail";

export interface LogQuery {
  follow?: boolean;
  tailLines?: number;
  sinceTime?: Date;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface StreamLogOptions {
  signal: AbortSignal;
  /** While following: once this turns false, whatever is left in the file is written and streaming ends. */
  isRunning?: () => boolean;
  /** How often a followed file is checked for new data. */
  pollMs?: number;
}

const READ_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Writes the container's log as `kubectl logs` shows it: the text of each line (with "\n"), or
 * "<RFC3339Nano timestamp> <text>" with timestamps; partial lines joined. Follows appended data
 * while `follow` and until `signal` aborts or `isRunning()` turns false and the file is drained.
 * A log file that does not exist yet reads as empty (and is waited for when following).
 *
 * @example
 * await streamLog(logPathFor(dataDir, uid, "web", 0), { tailLines: 10 }, (s) => res.write(s), { signal });
 */
export async function streamLog(
  path: string,
  q: LogQuery,
  write: (chunk: string) => void | Promise<void>,
  opts: StreamLogOptions,
): Promise<void> {
  const pollMs = opts.pollMs ?? 250;
  const stillFollowing = () => q.follow === true && !opts.signal.aborted && (opts.isRunning?.() ?? true);

  let opened = await openIfPresent(path);
  while (!opened && stillFollowing()) {
    await pause(pollMs, opts.signal);
    opened = await openIfPresent(path);
  }
  if (!opened) return;
  const file = opened;

  try {
    const renderer = new LogRenderer(q);
    let offset = 0;
    if (q.tailLines !== undefined) {
      offset = await tailStartOffset((p, l) => readAt(file, p, l), (await file.stat()).size, q.tailLines);
    }
    let carry = Buffer.alloc(0); // an unterminated record, completed by a later read

    /** Renders everything up to the end of the file; false once the byte limit is reached. */
    const drain = async (): Promise<boolean> => {
      for (;;) {
        const chunk = await readAt(file, offset, READ_CHUNK);
        if (chunk.length === 0) return true;
        offset += chunk.length;
        const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        let start = 0;
        for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
          const record = parseCriRecord(data.subarray(start, nl));
          start = nl + 1;
          if (!record) continue;
          const text = renderer.render(record);
          if (text) await write(text);
          if (renderer.done) return false;
        }
        carry = Buffer.from(data.subarray(start));
      }
    };

    if (!(await drain())) return;
    while (stillFollowing()) {
      await pause(pollMs, opts.signal);
      if (opts.signal.aborted) return;
      if (!(await drain())) return;
    }
    if (q.follow && !opts.signal.aborted) {
      // The task has ended; its logger may still be writing the last lines it read.
      await pause(pollMs, opts.signal);
      await drain();
    }
  } finally {
    await file.close();
  }
}

/** Where the log of one run of a container goes: <dataDir>/logs/<podUid>/<container>/<restartCount>.log */
export function logPathFor(dataDir: string, podUid: string, container: string, restartCount: number): string {
  return join(dataDir, "logs", pathSegment(podUid), pathSegment(container), `${restartCount}.log`);
}

/** Removes every log file of a pod. */
export async function removePodLogs(dataDir: string, podUid: string): Promise<void> {
  await rm(join(dataDir, "logs", pathSegment(podUid)), { recursive: true, force: true });
}

/** A name used as one path component; anything that could climb or nest is refused. */
function pathSegment(name: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new Error(`${JSON.stringify(name)} cannot name a log directory`);
  }
  return name;
}

async function openIfPresent(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await file.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => {});
}
