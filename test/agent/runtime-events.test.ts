// watchEvents against the real containerd: exit codes, start pids, a `ctr events` that dies and
// is restarted, a throwing handler, and stop().
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Ctr, type RunSpec } from "../../agent/runtime/ctr";
import { type EventWatch, type TaskEvent, watchEvents } from "../../agent/runtime/events";
import { cleanupNamespace, ensureBusyboxImage } from "./image";

const NS = "flotilla-test-events";
const ctr = new Ctr({ namespace: NS });
let dir: string;
const watches: EventWatch[] = [];

function spec(id: string, argv: string[]): RunSpec {
  return { id, image: "busybox:local", argv, env: [], labels: {}, mounts: [], namespaces: [], logPath: join(dir, id, "0.log") };
}

async function waitFor<T>(find: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  for (let waited = 0; ; waited += 25) {
    const found = find();
    if (found) return found;
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A stand-in for ctr that records its pid, fails on its first start (as if containerd were
 * restarting) and then becomes the real ctr.
 */
async function flakyCtr(): Promise<{ bin: string; pidFile: string }> {
  const bin = join(dir, "flaky-ctr");
  const mark = join(dir, "flaky-ctr.failed-once");
  const pidFile = join(dir, "flaky-ctr.pid");
  const script = [
    "#!/bin/sh",
    `echo $$ > '${pidFile}'`,
    `if [ ! -e '${mark}' ]; then touch '${mark}'; echo 'containerd is not there yet' >&2; exit 1; fi`,
    'exec ctr "$@"',
    "",
  ].join("\n");
  await writeFile(bin, script);
  await chmod(bin, 0o755);
  return { bin, pidFile };
}

/** Runs containers until the watcher has seen one exit, so its subscription is live. */
async function warmUp(seen: TaskEvent[], prefix: string): Promise<void> {
  for (let i = 0; !seen.some((e) => e.topic === "exit"); i++) {
    if (i === 20) throw new Error("ctr events never reported an exit");
    await ctr.run(spec(`${prefix}-${i}`, ["true"]));
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  await cleanupNamespace(NS);
  dir = await mkdtemp(join(tmpdir(), "runtime-events-"));
  await ensureBusyboxImage(NS, ctr);
});

afterAll(async () => {
  for (const w of watches) w.stop();
  await cleanupNamespace(NS);
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("reports start with its pid and exit with its code (0 included), for this namespace only", async () => {
  const seen: TaskEvent[] = [];
  const other: TaskEvent[] = [];
  watches.push(watchEvents({ namespace: NS, onEvent: (e) => seen.push(e) }));
  watches.push(watchEvents({ namespace: `${NS}-elsewhere`, onEvent: (e) => other.push(e) }));
  await warmUp(seen, "warm-a");

  await ctr.run(spec("zero", ["true"]));
  await ctr.run(spec("seven", ["sh", "-c", "exit 7"]));
  const exit = (id: string) => waitFor(() => seen.find((e) => e.topic === "exit" && e.containerId === id), `exit of ${id}`);
  const [zero, seven] = await Promise.all([exit("zero"), exit("seven")]);
  expect(zero).toMatchObject({ topic: "exit", exitCode: 0 });
  expect(seven).toMatchObject({ topic: "exit", exitCode: 7 });
  const start = seen.find((e) => e.topic === "start" && e.containerId === "seven");
  expect(start && start.topic === "start" && start.pid).toBeGreaterThan(0);
  expect(seven.topic === "exit" && seven.pid).toBe(start?.topic === "start" && start.pid);
  expect(Date.parse(seven.topic === "exit" ? seven.exitedAt : "")).not.toBeNaN();

  await ctr.deleteTask("seven");
  await waitFor(() => seen.some((e) => e.topic === "delete" && e.containerId === "seven"), "delete of seven");
  expect(other).toEqual([]);
});

it("restarts a `ctr events` that died, and survives a throwing handler", async () => {
  const { bin, pidFile } = await flakyCtr();
  const seen: TaskEvent[] = [];
  const errors: Error[] = [];
  const watch = watchEvents({
    namespace: NS,
    bin,
    minBackoffMs: 50,
    onEvent: (e) => {
      seen.push(e);
      if (e.topic === "start") throw new Error("handler trouble");
    },
    onError: (e) => errors.push(e),
  });
  watches.push(watch);
  await warmUp(seen, "warm-b");
  expect(errors[0].message).toMatch(/ctr events exited \(code 1\): containerd is not there yet; restarting in 50 ms/);
  expect(errors.some((e) => e.message === "handler trouble")).toBe(true);

  await ctr.run(spec("after-restart", ["sh", "-c", "exit 4"]));
  const exit = await waitFor(() => seen.find((e) => e.topic === "exit" && e.containerId === "after-restart"), "exit");
  expect(exit).toMatchObject({ exitCode: 4 });

  // stop() ends the ctr process and nothing more is delivered.
  const pid = Number(await readFile(pidFile, "utf8"));
  watch.stop();
  await waitFor(() => !isAlive(pid), "ctr events to end");
  const count = seen.length;
  await ctr.run(spec("after-stop", ["true"]));
  await new Promise((r) => setTimeout(r, 500));
  expect(seen.length).toBe(count);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
