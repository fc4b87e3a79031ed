// Parsers for the text ctr prints. ctr 1.6 has no JSON output for most listings; its tables are
// tab-aligned with spaces, one row per line after a header.

export type TaskStatus = "RUNNING" | "STOPPED" | "PAUSED" | "CREATED" | "UNKNOWN";

export interface TaskInfo {
  pid: number;
  status: TaskStatus;
}

export interface ContainerSummary {
  id: string;
  image: string;
  labels: Record<string, string>;
}

export interface ImageSummary {
  ref: string;
  digest: string;
  /** As ctr reports it (rounded to a tenth of its unit). */
  sizeBytes: number;
  mediaType: string;
}

const TASK_STATUSES = new Set<TaskStatus>(["RUNNING", "STOPPED", "PAUSED", "CREATED", "UNKNOWN"]);

function rows(table: string): string[][] {
  return table
    .split("\n")
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => line.split(/\s+/));
}

/** `ctr version`: the server's version (the client's comes first). */
export function parseServerVersion(stdout: string): string {
  const server = stdout.slice(stdout.indexOf("Server:"));
  const m = /^\s*Version:\s*(\S+)/m.exec(server);
  if (stdout.indexOf("Server:") === -1 || !m) throw new Error(`no server version in ctr output: ${stdout.trim()}`);
  return m[1];
}

/** `ctr tasks ls`: TASK PID STATUS. */
export function parseTaskList(stdout: string): Map<string, TaskInfo> {
  const tasks = new Map<string, TaskInfo>();
  for (const [id, pid, status] of rows(stdout)) {
    if (!id || pid === undefined) continue;
    const s = (status ?? "UNKNOWN") as TaskStatus;
    tasks.set(id, { pid: Number(pid), status: TASK_STATUSES.has(s) ? s : "UNKNOWN" });
  }
  return tasks;
}

/** `ctr containers ls`: CONTAINER IMAGE RUNTIME (the image column is blank for a container without one). */
export function parseContainerList(stdout: string): { id: string; image: string }[] {
  return rows(stdout).map((cols) => ({ id: cols[0], image: cols.length >= 3 ? cols[1] : "" }));
}

/**
 * The output of `ctr containers info` for several containers, each followed by a record
 * separator line (see Ctr.listContainers). A container that vanished in between has no record.
 */
export function parseContainerInfos(stdout: string): ContainerSummary[] {
  return stdout
    .split(RECORD_SEPARATOR)
    .map((part) => part.trim())
    .filter((part) => part.startsWith("{"))
    .map((part) => {
      const info = JSON.parse(part) as { ID: string; Image?: string; Labels?: Record<string, string> | null };
      return { id: info.ID, image: info.Image ?? "", labels: info.Labels ?? {} };
    });
}

export const RECORD_SEPARATOR = "\x1e\n";

const IMAGE_ROW = /^(\S+)\s+(\S+)\s+(sha256:[0-9a-f]{64})\s+([\d.]+)\s*([KMGTPE]i?B|B)\b/;

/** `ctr images ls`: REF TYPE DIGEST SIZE PLATFORMS LABELS, where SIZE reads like "1008.0 KiB". */
export function parseImageList(stdout: string): ImageSummary[] {
  const images: ImageSummary[] = [];
  for (const line of stdout.split("\n").slice(1)) {
    const m = IMAGE_ROW.exec(line.trim());
    if (!m) continue;
    images.push({ ref: m[1], mediaType: m[2], digest: m[3], sizeBytes: parseByteSize(Number(m[4]), m[5]) });
  }
  return images;
}

const UNIT_EXPONENT: Record<string, number> = { B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

function parseByteSize(value: number, unit: string): number {
  const base = unit.includes("i") || unit === "B" ? 1024 : 1000;
  return Math.round(value * base ** (UNIT_EXPONENT[unit[0]] ?? 0));
}

/** `ctr images import`: one "unpacking <ref> (sha256:…)...done" line per image. */
export function parseImportedRefs(stdout: string): string[] {
  return [...stdout.matchAll(/^unpacking (\S+) \(sha256:[0-9a-f]{64}\)/gm)].map((m) => m[1]);
}

/** `ctr tasks rm` warns "task <id> exit with non-zero exit code <n>" and says nothing for 0. */
export function parseDeletedTaskExitCode(stderr: string): number {
  const m = /exit with non-zero exit code (\d+)/.exec(stderr);
  return m ? Number(m[1]) : 0;
}
