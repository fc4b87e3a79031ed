// The runtime layer against the real containerd: containers, tasks, exec, signals, limits,
// labels, images and errors, with exits observed through `ctr events`.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ctr, CtrError, type RunSpec } from "../../agent/runtime/ctr";
import { type EventWatch, type TaskEvent, watchEvents } from "../../agent/runtime/events";
import { BUSYBOX_REF, cleanupNamespace, ensureBusyboxImage } from "./image";

const NS = "flotilla-test-runtime";
const ctr = new Ctr({ namespace: NS });
const events: TaskEvent[] = [];
const eventErrors: Error[] = [];
let watch: EventWatch;
let dir: string;

function spec(id: string, argv: string[] | undefined, extra: Partial<RunSpec> = {}): RunSpec {
  return { id, image: "busybox:local", argv, env: [], labels: {}, mounts: [], namespaces: [], logPath: join(dir, id, "0.log"), ...extra };
}

async function waitFor<T>(find: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  for (let waited = 0; ; waited += 25) {
    const found = find();
    if (found) return found;
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const eventFor = (containerId: string, topic: TaskEvent["topic"], nth = 1) =>
  waitFor(() => events.filter((e) => e.containerId === containerId && e.topic === topic)[nth - 1], `${topic} #${nth} of ${containerId}`);

beforeAll(async () => {
  await cleanupNamespace(NS);
  dir = await mkdtemp(join(tmpdir(), "runtime-ctr-"));
  watch = watchEvents({ namespace: NS, onEvent: (e) => events.push(e), onError: (e) => eventErrors.push(e) });
  await ensureBusyboxImage(NS, ctr);
  // `ctr events` has no "subscribed" signal: run containers until one's exit is seen.
  for (let i = 0; !events.some((e) => e.topic === "exit"); i++) {
    if (i === 20) throw new Error("ctr events never reported an exit");
    await ctr.run(spec(`warmup-${i}`, ["true"]));
    await new Promise((r) => setTimeout(r, 250));
  }
});

afterAll(async () => {
  watch?.stop();
  await cleanupNamespace(NS);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("images", () => {
  it("imports the test image and finds it by its short name", async () => {
    expect(await ctr.version()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await ctr.hasImage("busybox:local")).toBe(true);
    expect(await ctr.hasImage("busybox:missing")).toBe(false);
    const image = (await ctr.listImages()).find((i) => i.ref === BUSYBOX_REF);
    expect(image?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(image?.sizeBytes).toBeGreaterThan(500_000);
    expect(await ctr.imageConfig("busybox:local")).toEqual({ entrypoint: [], cmd: ["sh"], env: ["PATH=/bin"], workingDir: "" });
  });

  it("removes an image (twice without complaint) and imports it again", async () => {
    await ctr.removeImage("busybox:local");
    expect(await ctr.hasImage("busybox:local")).toBe(false);
    await ctr.removeImage("busybox:local");
    await expect(ctr.imageConfig("busybox:local")).rejects.toMatchObject({ kind: "NotFound" });
    expect(await ensureBusyboxImage(NS, ctr)).toBe(BUSYBOX_REF);
    expect(await ctr.hasImage("docker.io/library/busybox:local")).toBe(true);
  });

  it("a failed pull throws ctr's message", async () => {
    const err = await ctr.pullImage("127.0.0.1:1/nothing/here:1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtrError);
    expect((err as CtrError).message).toContain("127.0.0.1:1/nothing/here:1");
    expect(await ctr.hasImage("127.0.0.1:1/nothing/here:1")).toBe(false);
  });
});

describe("containers and tasks", () => {
  it("runs the image's own command with the given env, cwd and mounts, and reports exit codes", async () => {
    const script = 'echo "$GREETING from $(pwd)"; cat /in/file; exit 3';
    await ctr.run(
      spec("exit-3", ["sh", "-c", script], {
        env: ["GREETING=hello"],
        cwd: "/tmp",
        mounts: [{ source: dir, destination: "/in", readOnly: true }],
      }),
    );
    await ctr.run(spec("exit-0", undefined)); // the image's Cmd: sh, which ends at once with no input
    const [three, zero] = await Promise.all([eventFor("exit-3", "exit"), eventFor("exit-0", "exit")]);
    expect(three).toMatchObject({ exitCode: 3, exitedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(zero).toMatchObject({ exitCode: 0 });
    expect((await ctr.listTasks()).get("exit-3")?.status).toBe("STOPPED");
    expect(await ctr.deleteTask("exit-3")).toEqual({ exitCode: 3 });
    expect(await ctr.deleteTask("exit-0")).toEqual({ exitCode: 0 });
    expect(await ctr.deleteTask("exit-0")).toEqual({});
    await eventFor("exit-3", "delete");
    const log = await readFile(join(dir, "exit-3", "0.log"), "utf8");
    expect(log).toMatch(/ stdout F hello from \/tmp\n/);
    expect(log).toMatch(/ stderr F cat: can't open '\/in\/file': No such file or directory\n/);
  });

  it("restarts a container with startTask: same filesystem, new log file", async () => {
    const script = "echo x >> /runs; echo run-$(wc -l < /runs)";
    await ctr.run(spec("restarter", ["sh", "-c", script]));
    await eventFor("restarter", "exit");
    await ctr.deleteTask("restarter");
    await ctr.startTask("restarter", join(dir, "restarter", "1.log"));
    await eventFor("restarter", "exit", 2);
    await ctr.deleteTask("restarter");
    const first = await readFile(join(dir, "restarter", "0.log"), "utf8");
    const second = await readFile(join(dir, "restarter", "1.log"), "utf8");
    expect(first).toMatch(/^\S+ stdout F run-1\n$/);
    expect(second).toMatch(/^\S+ stdout F run-2\n$/);
  });

  it("exec returns the process's exit code and output; a timeout kills it", async () => {
    await ctr.run(spec("sleeper", ["sleep", "3600"]));
    await eventFor("sleeper", "start");
    expect(await ctr.exec("sleeper", ["sh", "-c", "echo hi; echo oops >&2; exit 5"], { timeoutMs: 10_000 })).toEqual({
      code: 5,
      stdout: "hi\n",
      stderr: "oops\n",
    });
    expect((await ctr.exec("sleeper", ["true"], { timeoutMs: 10_000 })).code).toBe(0);

    const started = performance.now();
    const slow = await ctr.exec("sleeper", ["sh", "-c", "echo before; exec sleep 31"], { timeoutMs: 300 });
    expect(slow.code).toBe(124);
    expect(performance.now() - started).toBeLessThan(5_000);
    const ps = async () => (await ctr.exec("sleeper", ["ps"], { timeoutMs: 10_000 })).stdout;
    for (let i = 0; (await ps()).includes("sleep 31"); i++) {
      if (i === 40) throw new Error("the timed-out exec is still running");
      await new Promise((r) => setTimeout(r, 50));
    }
    // exec'd processes never show up as the task's exit
    expect(events.some((e) => e.containerId === "sleeper" && e.topic === "exit")).toBe(false);

    await expect(ctr.exec("sleeper", ["no-such-program"], { timeoutMs: 10_000 })).rejects.toMatchObject({ kind: "ExecNotFound" });
    await expect(ctr.exec("no-such-container", ["true"], { timeoutMs: 10_000 })).rejects.toMatchObject({ kind: "NotFound" });
  });

  it("SIGTERM leaves sh as PID 1 running; SIGKILL ends it with 137", async () => {
    await ctr.run(spec("stubborn", ["sh", "-c", "while true; do sleep 1; done"]));
    await eventFor("stubborn", "start");
    await ctr.kill("stubborn", "SIGTERM");
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await ctr.listTasks()).get("stubborn")?.status).toBe("RUNNING");
    await ctr.kill("stubborn", "SIGKILL");
    expect(await eventFor("stubborn", "exit")).toMatchObject({ exitCode: 137 });
    await ctr.kill("stubborn", "SIGKILL"); // finished: not an error
    await ctr.deleteContainer("stubborn");
    await ctr.kill("stubborn"); // gone: not an error
  });

  it("a memory-limited container that allocates too much is OOM-killed", async () => {
    await ctr.run(
      spec("hungry", ["sh", "-c", "busybox dd if=/dev/zero of=/dev/null bs=64M count=1"], { memoryLimitBytes: 16 * 1024 * 1024, cpus: 0.5 }),
    );
    await eventFor("hungry", "oom");
    expect(await eventFor("hungry", "exit")).toMatchObject({ exitCode: 137 });
    expect(await ctr.deleteTask("hungry")).toEqual({ exitCode: 137 });
  });

  it("lists containers by exact label values, with their labels read back", async () => {
    const labels = (role: string) => ({ "test.flotilla.dev/suite": "labels", "test.flotilla.dev/role": role, note: "a b,c" });
    await ctr.run(spec("lab-a", ["sleep", "3600"], { labels: labels("a") }));
    await ctr.run(spec("lab-b", ["sleep", "3600"], { labels: labels("b") }));

    const onlyA = await ctr.listContainers({ "test.flotilla.dev/suite": "labels", "test.flotilla.dev/role": "a" });
    expect(onlyA).toEqual([{ id: "lab-a", image: BUSYBOX_REF, labels: expect.objectContaining(labels("a")) }]);
    const both = await ctr.listContainers({ "test.flotilla.dev/suite": "labels" });
    expect(both.map((c) => c.id).sort()).toEqual(["lab-a", "lab-b"]);
    expect(await ctr.listContainers({ "test.flotilla.dev/suite": "nothing" })).toEqual([]);

    await ctr.setLabels("lab-b", { "test.flotilla.dev/role": "a", note: "" });
    // A fresh Ctr knows nothing cached: these are containerd's labels.
    const fresh = await new Ctr({ namespace: NS }).listContainers({ "test.flotilla.dev/role": "a" });
    expect(fresh.map((c) => c.id).sort()).toEqual(["lab-a", "lab-b"]);
    expect(fresh.find((c) => c.id === "lab-b")?.labels.note).toBeUndefined();
    expect((await ctr.listContainers({ "test.flotilla.dev/role": "a" })).find((c) => c.id === "lab-b")?.labels).toEqual(
      fresh.find((c) => c.id === "lab-b")?.labels,
    );
  });

  it("deleteContainer removes a running container and is idempotent", async () => {
    await ctr.run(spec("doomed", ["sleep", "3600"]));
    await eventFor("doomed", "start");
    await ctr.deleteContainer("doomed");
    await ctr.deleteContainer("doomed");
    expect((await ctr.listContainers()).some((c) => c.id === "doomed")).toBe(false);
    expect((await ctr.listTasks()).has("doomed")).toBe(false);
    await ctr.run(spec("doomed", ["true"])); // the id (and its snapshot) is free again
    await eventFor("doomed", "exit", 1);
  });
});

describe("errors", () => {
  it("a missing image is NotFound", async () => {
    const err = await ctr.run(spec("no-image", ["true"], { image: "busybox:missing" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtrError);
    expect(err).toMatchObject({ kind: "NotFound", message: 'image "docker.io/library/busybox:missing": not found' });
  });

  it("a missing program is ExecNotFound and leaves no container behind", async () => {
    await expect(ctr.run(spec("no-exec", ["no-such-program"]))).rejects.toMatchObject({
      kind: "ExecNotFound",
      message: expect.stringContaining('exec: "no-such-program": executable file not found in $PATH'),
    });
    await expect(ctr.run(spec("no-exec-abs", ["/no/such"]))).rejects.toMatchObject({ kind: "ExecNotFound" });
    expect((await ctr.listContainers()).map((c) => c.id)).not.toContain("no-exec");
    await ctr.run(spec("no-exec", ["true"]));
    await eventFor("no-exec", "exit");
  });

  it("an id in use is AlreadyExists, and the existing container is kept", async () => {
    await ctr.run(spec("taken", ["sleep", "3600"]));
    await expect(ctr.run(spec("taken", ["true"]))).rejects.toMatchObject({ kind: "AlreadyExists" });
    expect((await ctr.listTasks()).get("taken")?.status).toBe("RUNNING");
    await ctr.deleteContainer("taken");
  });

  it("the event watcher reported no trouble", () => {
    expect(eventErrors).toEqual([]);
  });
});
