import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { criLogUri } from "../logs/log-uri";
import { type CommandOptions, type CommandResult, type CommandRunner, spawnRunner, TIMEOUT_EXIT_CODE } from "./command";
import { CtrError, type CtrErrorKind } from "./ctr-error";
import {
  type ContainerSummary,
  type ImageSummary,
  parseContainerInfos,
  parseContainerList,
  parseDeletedTaskExitCode,
  parseImageList,
  parseImportedRefs,
  parseServerVersion,
  parseTaskList,
  RECORD_SEPARATOR,
  type TaskInfo,
} from "./ctr-output";
import { hostPlatform, type ImageConfig, readImageConfig } from "./image-config";
import { isLocalRegistry, normalizeImageRef } from "./image-ref";
import { type RunSpec, runArgs } from "./run-spec";

export { CtrError, type CtrErrorKind } from "./ctr-error";
export type { ContainerSummary, ImageSummary, TaskInfo, TaskStatus } from "./ctr-output";
export type { ImageConfig } from "./image-config";
export type { BindMount, JoinedNamespace, RunSpec } from "./run-spec";

export interface CtrOptions {
  /** The containerd namespace every call works in. */
  namespace: string;
  runner?: CommandRunner;
  /** containerd's socket; ctr's default when absent. */
  address?: string;
  /** The ctr program. */
  bin?: string;
}

/** How long a timed-out exec's ctr client may take to report the killed process. */
const EXEC_KILL_GRACE_MS = 5_000;
const EXEC_KILL_RETRY_MS = 250;

// Runs `ctr containers info` for each id given as an argument, ending each record with a
// separator line. The namespace and address come from ctr's environment variables.
const INFO_BATCH_SCRIPT = `ctr=$1; shift; for id do "$ctr" containers info "$id" && printf '\\036\\n'; done`;

/**
 * containerd through its `ctr` command line, in one namespace. Every method spawns ctr with an
 * argument vector (never a shell string) and turns a failure into a CtrError carrying ctr's message.
 *
 * Labels read by listContainers are remembered per container id, so a steady resync costs one
 * ctr call; this assumes labels change only through this object (setLabels), as they do when it
 * is the namespace's only writer.
 *
 * @example
 * const ctr = new Ctr({ namespace: "flotilla" });
 * await ctr.run({ id: "web", image: "busybox", env: [], labels: {}, mounts: [], namespaces: [], logPath: "/tmp/web/0.log" });
 */
export class Ctr {
  readonly namespace: string;
  private readonly runner: CommandRunner;
  private readonly bin: string;
  private readonly address?: string;
  private readonly globalArgs: readonly string[];
  private readonly labelsById = new Map<string, Record<string, string>>();
  private readonly configByDigest = new Map<string, ImageConfig>();

  constructor(opts: CtrOptions) {
    this.namespace = opts.namespace;
    this.runner = opts.runner ?? spawnRunner;
    this.bin = opts.bin ?? "ctr";
    this.address = opts.address;
    this.globalArgs = [...(opts.address ? ["--address", opts.address] : []), "--namespace", opts.namespace];
  }

  /** containerd's (server) version, e.g. "1.6.20~ds1". */
  async version(): Promise<string> {
    return parseServerVersion((await this.ctr(["version"])).stdout);
  }

  // ---- containers and tasks ----

  /**
   * Creates the container and starts its task, detached, logging to `spec.logPath`. When the
   * container is created but its task cannot start (say the program is missing), the container
   * is removed again, so a later run with the same id can succeed.
   */
  async run(spec: RunSpec): Promise<void> {
    await mkdir(dirname(spec.logPath), { recursive: true });
    try {
      await this.ctr(runArgs(spec, criLogUri(spec.logPath)));
    } catch (err) {
      if (err instanceof CtrError && err.kind !== "AlreadyExists") await this.deleteContainer(spec.id).catch(() => {});
      throw err;
    }
  }

  /** Starts a new task for an existing container (after deleteTask), logging to a new file. */
  async startTask(id: string, logPath: string): Promise<void> {
    await mkdir(dirname(logPath), { recursive: true });
    await this.ctr(["tasks", "start", "--detach", "--log-uri", criLogUri(logPath), id]);
  }

  /** Signals every process of the task. A task that is gone or finished is not an error. */
  async kill(id: string, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    await this.ctr(["tasks", "kill", "--all", "--signal", signal, id], { allow: ["NotFound"] });
  }

  /**
   * Removes the task, killing it first if it still runs, and returns its exit code as ctr
   * reports it. Without a task there is nothing to remove and no exit code.
   */
  async deleteTask(id: string): Promise<{ exitCode?: number }> {
    const r = await this.ctr(["tasks", "delete", "--force", id], { allow: ["NotFound"] });
    return r.code === 0 ? { exitCode: parseDeletedTaskExitCode(r.stderr) } : {};
  }

  /** Removes the task (if any), the container and its snapshot. Missing pieces are fine. */
  async deleteContainer(id: string): Promise<void> {
    await this.deleteTask(id);
    await this.ctr(["containers", "delete", id], { allow: ["NotFound"] });
    this.labelsById.delete(id);
  }

  /**
   * The containers whose labels include every given label (exactly), with all their labels.
   * Two ctr calls at most: the list, and one batch of `containers info` for containers whose
   * labels are not known yet.
   */
  async listContainers(labels: Record<string, string> = {}): Promise<ContainerSummary[]> {
    const filter = Object.entries(labels)
      .map(([k, v]) => `labels.${JSON.stringify(k)}==${JSON.stringify(v)}`)
      .join(",");
    const listed = parseContainerList((await this.ctr(["containers", "list", ...(filter ? [filter] : [])])).stdout);

    const unknown = listed.filter((c) => !this.labelsById.has(c.id)).map((c) => c.id);
    const gone = new Set(unknown);
    if (unknown.length > 0) {
      for (const info of await this.containerInfos(unknown)) {
        this.labelsById.set(info.id, info.labels);
        gone.delete(info.id);
      }
    }
    if (!filter) {
      // An unfiltered list shows every container, so labels of vanished ones can be forgotten.
      const present = new Set(listed.map((c) => c.id));
      for (const id of this.labelsById.keys()) if (!present.has(id)) this.labelsById.delete(id);
    }

    return listed
      .filter((c) => !gone.has(c.id))
      .map((c) => ({ id: c.id, image: c.image, labels: { ...this.labelsById.get(c.id) } }));
  }

  private async containerInfos(ids: string[]): Promise<ContainerSummary[]> {
    const env: Record<string, string> = { CONTAINERD_NAMESPACE: this.namespace };
    if (this.address) env.CONTAINERD_ADDRESS = this.address;
    const r = await this.runner.run("sh", ["-c", INFO_BATCH_SCRIPT, "sh", this.bin, ...ids], { env });
    // A container deleted since it was listed just has no record; other failures are real.
    if (r.code !== 0 && !/not found/.test(r.stderr)) throw CtrError.fromOutput(["containers", "info", ...ids], r.code, r.stderr);
    return parseContainerInfos(r.stdout);
  }

  /** Every task in the namespace, by container id. */
  async listTasks(): Promise<Map<string, TaskInfo>> {
    return parseTaskList((await this.ctr(["tasks", "list"])).stdout);
  }

  /** Sets (adds or replaces) labels; an empty value removes a label, as in ctr. */
  async setLabels(id: string, labels: Record<string, string>): Promise<void> {
    const pairs = Object.entries(labels);
    if (pairs.length === 0) return;
    await this.ctr(["containers", "label", id, ...pairs.map(([k, v]) => `${k}=${v}`)]);
    const known = this.labelsById.get(id);
    if (!known) return;
    for (const [k, v] of pairs) {
      if (v === "") delete known[k];
      else known[k] = v;
    }
  }

  /**
   * Runs a process in the container's running task and returns its exit code and output.
   * On timeout the process is killed and the result has code 124. A process that cannot be
   * started (no such task, no such program) throws a CtrError.
   */
  async exec(id: string, argv: string[], opts: { timeoutMs: number }): Promise<CommandResult> {
    const execId = `exec-${randomBytes(8).toString("hex")}`;
    const args = ["tasks", "exec", "--exec-id", execId, id, ...argv];
    let timedOut = false;
    let killer: ReturnType<typeof setTimeout> | undefined;
    // The exec may not be registered yet when the deadline hits, so keep killing until ctr returns.
    const killExec = () => {
      timedOut = true;
      this.ctr(["tasks", "kill", "--exec-id", execId, "--signal", "SIGKILL", id]).catch(() => {});
      killer = setTimeout(killExec, EXEC_KILL_RETRY_MS);
    };
    killer = setTimeout(killExec, opts.timeoutMs);
    try {
      const r = await this.runner.run(this.bin, [...this.globalArgs, ...args], {
        timeoutMs: opts.timeoutMs + EXEC_KILL_GRACE_MS,
      });
      if (timedOut) return { ...r, code: TIMEOUT_EXIT_CODE };
      if (r.code !== 0 && isCtrFailure(r.stderr)) throw CtrError.fromOutput(args, r.code, r.stderr);
      return r;
    } finally {
      clearTimeout(killer);
    }
  }

  // ---- images ----

  async listImages(): Promise<ImageSummary[]> {
    return parseImageList((await this.ctr(["images", "list"])).stdout);
  }

  async hasImage(ref: string): Promise<boolean> {
    return (await this.findImage(normalizeImageRef(ref))) !== undefined;
  }

  /** Pulls (and unpacks) an image; registries on this machine are reached over plain HTTP. */
  async pullImage(ref: string): Promise<void> {
    const name = normalizeImageRef(ref);
    await this.ctr(["images", "pull", ...(isLocalRegistry(name) ? ["--plain-http"] : []), name]);
  }

  /** Imports an image archive (OCI layout or `docker save` tar); returns the refs it named. */
  async importImage(tarPath: string): Promise<string[]> {
    return parseImportedRefs((await this.ctr(["images", "import", tarPath])).stdout);
  }

  /** The image's entrypoint, cmd, env and working directory, read from its config blob. */
  async imageConfig(ref: string): Promise<ImageConfig> {
    const name = normalizeImageRef(ref);
    const image = await this.findImage(name);
    if (!image) throw new CtrError(`image "${name}": not found`, "NotFound", ["images", "list"], 0, "");
    const cached = this.configByDigest.get(image.digest);
    if (cached) return structuredClone(cached);
    const readBlob = async (digest: string) => (await this.ctr(["content", "get", digest])).stdout;
    const config = await readImageConfig(readBlob, image.digest, hostPlatform());
    this.configByDigest.set(image.digest, config);
    return structuredClone(config);
  }

  /** Removes an image name (its content is garbage-collected); a missing image is fine. */
  async removeImage(ref: string): Promise<void> {
    await this.ctr(["images", "delete", "--sync", normalizeImageRef(ref)], { allow: ["NotFound"] });
  }

  private async findImage(normalizedRef: string): Promise<ImageSummary | undefined> {
    const out = (await this.ctr(["images", "list", `name==${JSON.stringify(normalizedRef)}`])).stdout;
    return parseImageList(out).find((i) => i.ref === normalizedRef);
  }

  // ---- plumbing ----

  /**
   * Runs ctr with the global options. A non-zero exit throws a CtrError, unless its kind is
   * in `allow`: then the result is returned for the caller to inspect.
   */
  private async ctr(args: string[], opts: CommandOptions & { allow?: CtrErrorKind[] } = {}): Promise<CommandResult> {
    const { allow = [], ...runOpts } = opts;
    const r = await this.runner.run(this.bin, [...this.globalArgs, ...args], runOpts);
    if (r.code === 0) return r;
    const err = CtrError.fromOutput(args, r.code, r.stderr);
    if (allow.includes(err.kind)) return r;
    throw err;
  }
}

/** ctr reports its own failures (as opposed to the exec'd program's) on a final "ctr: " line. */
function isCtrFailure(stderr: string): boolean {
  const lines = stderr.trimEnd().split("\n");
  return lines[lines.length - 1].startsWith("ctr: ");
}
