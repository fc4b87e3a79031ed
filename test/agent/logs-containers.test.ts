// Container logs end to end: the shim hands the task's output to cri-logger.pl, and streamLog
// reads the file back the way `kubectl logs` shows it.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logPathFor, type LogQuery, streamLog } from "../../agent/logs/read";
import { Ctr, type RunSpec } from "../../agent/runtime/ctr";
import { type EventWatch, type TaskEvent, watchEvents } from "../../agent/runtime/events";
import { cleanupNamespace, ensureBusyboxImage } from "./image";

const NS = "flotilla-test-logs";
const POD = "pod-uid-1";
const ctr = new Ctr({ namespace: NS });
const events: TaskEvent[] = [];
let watch: EventWatch;
let dataDir: string;

const logOf = (id: string, restart = 0) => logPathFor(dataDir, POD, id, restart);

function spec(id: string, script: string): RunSpec {
  return { id, image: "busybox:local", argv: ["sh", "-c", script], env: [], labels: {}, mounts: [], namespaces: [], logPath: logOf(id) };
}

async function waitFor<T>(find: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  for (let waited = 0; ; waited += 25) {
    const found = find();
    if (found) return found;
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const exited = (id: string) => events.some((e) => e.containerId === id && e.topic === "exit");
const exitOf = (id: string) => waitFor(() => events.find((e) => e.containerId === id && e.topic === "exit"), `exit of ${id}`);

async function logText(id: string, q: LogQuery = {}): Promise<string> {
  let out = "";
  await streamLog(logOf(id), q, (s) => void (out += s), { signal: new AbortController().signal });
  return out;
}

beforeAll(async () => {
  await cleanupNamespace(NS);
  dataDir = await mkdtemp(`${tmpdir()}/logs-containers-`);
  watch = watchEvents({ namespace: NS, onEvent: (e) => events.push(e) });
  await ensureBusyboxImage(NS, ctr);
  for (let i = 0; !events.some((e) => e.topic === "exit"); i++) {
    if (i === 20) throw new Error("ctr events never reported an exit");
    await ctr.run(spec(`warmup-${i}`, "true"));
    await new Promise((r) => setTimeout(r, 250));
  }
});

afterAll(async () => {
  watch?.stop();
  await cleanupNamespace(NS);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("container logs", () => {
  beforeAll(async () => {
    await ctr.run(spec("mixed", "echo out-1; sleep 0.2; echo err-1 >&2; sleep 0.2; seq 2 50"));
    await exitOf("mixed");
  });

  it("keeps stdout and stderr apart in the file, each line stamped", async () => {
    const lines = (await readFile(logOf("mixed"), "utf8")).split("\n");
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F out-1$/);
    expect(lines[1]).toMatch(/^\S+ stderr F err-1$/);
    expect(lines[2]).toMatch(/^\S+ stdout F 2$/);
  });

  it("reads back as kubectl logs shows it: whole, with timestamps, tail, limitBytes and sinceTime", async () => {
    const numbers = Array.from({ length: 49 }, (_, i) => `${i + 2}\n`).join("");
    expect(await logText("mixed")).toBe(`out-1\nerr-1\n${numbers}`);
    expect(await logText("mixed", { tailLines: 3 })).toBe("48\n49\n50\n");
    expect(await logText("mixed", { limitBytes: 10 })).toBe("out-1\nerr-");

    const stamped = (await logText("mixed", { timestamps: true, tailLines: 51 })).split("\n");
    expect(stamped[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z err-1$/);
    const errAt = new Date(stamped[1].split(" ")[0]);
    const since = new Date(Math.floor(errAt.getTime()));
    expect((await logText("mixed", { sinceTime: since })).startsWith("err-1\n2\n")).toBe(true);
  });

  it("writes large output without blocking the container, cutting long lines as kubelet does", async () => {
    const script = "busybox dd if=/dev/zero bs=1000 count=40 2>/dev/null | tr '\\0' x; echo; seq 1 30000; printf no-newline";
    await ctr.run(spec("bulky", script));
    await exitOf("bulky");
    // The logger flushes the unterminated last line when the task is deleted and its streams close.
    await ctr.deleteTask("bulky");
    const records = (await readFile(logOf("bulky"), "utf8")).split("\n").filter((l) => l !== "");
    expect(records.slice(0, 3).map((r) => r.split(" ")[2] + ":" + r.split(" ")[3].length)).toEqual(["P:16384", "P:16384", "F:7232"]);
    expect(records.at(-1)).toMatch(/^\S+ stdout P no-newline$/);

    const text = await logText("bulky");
    expect(text.startsWith(`${"x".repeat(40_000)}\n1\n2\n`)).toBe(true);
    expect(text.endsWith("29999\n30000\nno-newline")).toBe(true);
    expect(await logText("bulky", { tailLines: 2 })).toBe("30000\nno-newline");
  });

  it("follows a running container's log and returns when it ends", async () => {
    await ctr.run(spec("ticker", "for i in 1 2 3 4 5; do echo tick-$i; sleep 0.3; done"));
    const chunks: { text: string; exitedYet: boolean }[] = [];
    await streamLog(logOf("ticker"), { follow: true }, (text) => void chunks.push({ text, exitedYet: exited("ticker") }), {
      signal: new AbortController().signal,
      isRunning: () => !exited("ticker"),
      pollMs: 50,
    });
    expect(exited("ticker")).toBe(true);
    expect(chunks.map((c) => c.text).join("")).toBe("tick-1\ntick-2\ntick-3\ntick-4\ntick-5\n");
    expect(chunks[0].exitedYet).toBe(false); // delivered while the container still ran
    expect(chunks.length).toBeGreaterThan(1);
  });

  it("stops following when the reader goes away", async () => {
    await ctr.run(spec("endless", "while true; do echo again; sleep 0.1; done"));
    const ac = new AbortController();
    let out = "";
    const started = performance.now();
    await streamLog(
      logOf("endless"),
      { follow: true, tailLines: 1 },
      (s) => {
        out += s;
        if (out.split("\n").length > 3) ac.abort();
      },
      { signal: ac.signal, isRunning: () => !exited("endless"), pollMs: 50 },
    );
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(out.startsWith("again\nagain\nagain\n")).toBe(true);
    expect(exited("endless")).toBe(false);
    await ctr.deleteContainer("endless");
  });
});
