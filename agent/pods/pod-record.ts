import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * What the agent remembers about a pod between syncs and across its own restarts: the things
 * containerd cannot tell it (restart counts, the last termination, back-off windows).
 */
export interface Termination {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt?: string;
  finishedAt: string;
  containerID: string;
}

export interface ContainerRecord {
  name: string;
  /** containerd id; the container keeps it across restarts. */
  id: string;
  /** Set once the container exists in containerd. */
  created: boolean;
  image: string;
  imageID?: string;
  restartCount: number;
  running: boolean;
  startedAt?: string;
  /** The current state when the container has ended and is not (yet) restarted. */
  terminated?: Termination;
  lastTerminated?: Termination;
  waiting?: { reason: string; message?: string };
  backoffWindowMs?: number;
  pullWindowMs?: number;
  /** The pid of the running task, to tell its exit from a late event of an earlier run. */
  pid?: number;
  /** When a pending restart (or image pull retry) is due, in clock milliseconds. */
  retryAt?: number;
  oomKilled?: boolean;
  /** Why the agent itself killed the running task (a failed probe), reported at its exit. */
  killReason?: string;
  ready: boolean;
  started: boolean;
}

export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  startTime?: string;
  podIP?: string;
  sandboxReady: boolean;
  containers: Record<string, ContainerRecord>;
  /** A pod whose containers will not run again. */
  terminal?: "Succeeded" | "Failed";
  terminalReason?: string;
}

export function newPodRecord(uid: string, namespace: string, name: string): PodRecord {
  return { uid, namespace, name, sandboxReady: false, containers: {} };
}

/** Records as one JSON file per pod, written atomically. */
export class PodRecordStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "pods");
  }

  async loadAll(): Promise<PodRecord[]> {
    await mkdir(this.dir, { recursive: true });
    const out: PodRecord[] = [];
    for (const f of await readdir(this.dir)) {
      if (!f.endsWith(".json")) continue;
      try {
        out.push(JSON.parse(await readFile(join(this.dir, f), "utf8")) as PodRecord);
      } catch {
        // A torn or foreign file: the pod is rebuilt from containerd and the API instead.
      }
    }
    return out;
  }

  async save(rec: PodRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${rec.uid}.json`);
    await writeFile(`${path}.tmp`, JSON.stringify(rec));
    await rename(`${path}.tmp`, path);
  }

  async remove(uid: string): Promise<void> {
    await rm(join(this.dir, `${uid}.json`), { force: true });
  }
}
