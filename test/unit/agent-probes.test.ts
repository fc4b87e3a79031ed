import { describe, expect, it } from "vitest";
import { ContainerProbes, type ProbeKind, type ProbeState, type ProbeTarget, type ProbeTimers } from "../../agent/pods/probes";

/** Timers on a hand-moved clock; advancing runs what falls due, letting promises settle in between. */
class FakeTimers implements ProbeTimers {
  t = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.due.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  now = () => this.t;
  get pending(): number {
    return this.due.size;
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = [...this.due.entries()].filter(([, d]) => d.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.due.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await settle();
    }
    this.t = end;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

type ExecReply = { code: number; stdout?: string; stderr?: string } | "hang" | Error;

/** An exec target whose replies are scripted per command name (argv[0]). */
class ScriptedTarget implements ProbeTarget {
  readonly calls: { argv: string[]; at: number }[] = [];
  replies = new Map<string, ExecReply[]>();
  ip: string | undefined = "10.244.0.5";
  constructor(private readonly timers: FakeTimers) {}
  reply(cmd: string, ...replies: ExecReply[]): void {
    this.replies.set(cmd, replies);
  }
  exec(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    this.calls.push({ argv, at: this.timers.t });
    const queue = this.replies.get(argv[0]) ?? [];
    const r = queue.length > 1 ? queue.shift()! : (queue[0] ?? { code: 0 });
    if (r === "hang") return new Promise(() => {});
    if (r instanceof Error) return Promise.reject(r);
    return Promise.resolve({ code: r.code, stdout: r.stdout ?? "", stderr: r.stderr ?? "" });
  }
  podIP(): string | undefined {
    return this.ip;
  }
  callsOf(cmd: string): number[] {
    return this.calls.filter((c) => c.argv[0] === cmd).map((c) => c.at);
  }
}

function setup(container: any) {
  const timers = new FakeTimers();
  const target = new ScriptedTarget(timers);
  const changes: ProbeState[] = [];
  const failures: [string, string][] = [];
  const unhealthy: [ProbeKind, string][] = [];
  const probes = new ContainerProbes({ name: "app", ...container }, target, {
    onChange: (s) => changes.push(s),
    onFailure: (kind, message) => failures.push([kind, message]),
    onUnhealthy: (kind, message) => unhealthy.push([kind, message]),
    timers,
    now: timers.now,
  });
  return { timers, target, changes, failures, unhealthy, probes };
}

const execProbe = (cmd: string, extra: any = {}) => ({ exec: { command: [cmd] }, ...extra });

describe("ContainerProbes", () => {
  it("without probes the container is started and ready at once", () => {
    const { probes, changes, timers } = setup({});
    expect(probes.state).toEqual({ started: false, ready: false });
    probes.start();
    expect(changes).toEqual([{ started: true, ready: true }]);
    expect(probes.state).toEqual({ started: true, ready: true });
    expect(timers.pending).toBe(0);
  });

  it("readiness starts not ready and turns ready after successThreshold successes in a row", async () => {
    const { probes, target, timers, changes } = setup({ readinessProbe: execProbe("ready", { periodSeconds: 5, successThreshold: 2 }) });
    target.reply("ready", { code: 0 }, { code: 1 }, { code: 0 }, { code: 0 });
    probes.start();
    expect(changes).toEqual([{ started: true, ready: false }]);
    await timers.advance(0);
    await timers.advance(10_000);
    expect(probes.state.ready).toBe(false);
    await timers.advance(5_000);
    expect(target.callsOf("ready")).toEqual([0, 5_000, 10_000, 15_000]);
    expect(changes).toEqual([{ started: true, ready: false }, { started: true, ready: true }]);
  });

  it("readiness turns not ready after failureThreshold failures in a row, reporting each", async () => {
    const { probes, target, timers, changes, unhealthy, failures } = setup({ readinessProbe: execProbe("ready", { failureThreshold: 2 }) });
    target.reply("ready", { code: 0 }, { code: 1, stdout: "not yet\n" }, { code: 0 }, { code: 1, stderr: "db down" }, { code: 2, stdout: "out;", stderr: "err" });
    probes.start();
    await timers.advance(0);
    expect(probes.state.ready).toBe(true);
    await timers.advance(30_000);
    expect(probes.state.ready).toBe(true);
    await timers.advance(10_000);
    expect(probes.state.ready).toBe(false);
    expect(changes.map((c) => c.ready)).toEqual([false, true, false]);
    expect(unhealthy).toEqual([
      ["readiness", "Readiness probe failed: not yet\n"],
      ["readiness", "Readiness probe failed: db down"],
      ["readiness", "Readiness probe failed: out;err"],
    ]);
    expect(failures).toEqual([]);
  });

  it("liveness calls onFailure at failureThreshold consecutive failures, then pauses until the next start", async () => {
    const { probes, target, timers, failures } = setup({ livenessProbe: execProbe("alive") });
    target.reply("alive", { code: 1, stdout: "a" }, { code: 1 }, { code: 0 }, { code: 1 }, { code: 1 }, { code: 1, stdout: "dead" });
    probes.start();
    await timers.advance(40_000);
    expect(failures).toEqual([]);
    await timers.advance(10_000);
    expect(failures).toEqual([["liveness", "Liveness probe failed: dead"]]);
    await timers.advance(60_000);
    expect(target.callsOf("alive")).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000]);
    expect(timers.pending).toBe(0);

    target.reply("alive", { code: 0 });
    probes.start();
    await timers.advance(20_000);
    expect(target.callsOf("alive").slice(6)).toEqual([110_000, 120_000, 130_000]);
    expect(failures.length).toBe(1);
  });

  it("waits initialDelaySeconds before the first attempt", async () => {
    const { probes, target, timers } = setup({ livenessProbe: execProbe("alive", { initialDelaySeconds: 15, periodSeconds: 3 }) });
    probes.start();
    await timers.advance(14_999);
    expect(target.calls).toEqual([]);
    await timers.advance(7_000);
    expect(target.callsOf("alive")).toEqual([15_000, 18_000, 21_000]);
  });

  it("holds liveness and readiness back until the startup probe succeeds", async () => {
    const { probes, target, timers, changes } = setup({
      startupProbe: execProbe("boot", { periodSeconds: 2, failureThreshold: 30 }),
      livenessProbe: execProbe("alive", { initialDelaySeconds: 5 }),
      readinessProbe: execProbe("ready"),
    });
    target.reply("boot", { code: 1 }, { code: 1 }, { code: 0 });
    probes.start();
    expect(probes.state).toEqual({ started: false, ready: false });
    await timers.advance(3_000);
    expect(target.callsOf("alive")).toEqual([]);
    expect(target.callsOf("ready")).toEqual([]);
    await timers.advance(1_000);
    expect(changes).toEqual([{ started: true, ready: false }, { started: true, ready: true }]);
    await timers.advance(10_000);
    expect(target.callsOf("boot")).toEqual([0, 2_000, 4_000]);
    expect(target.callsOf("ready")).toEqual([4_000, 14_000]);
    expect(target.callsOf("alive")).toEqual([9_000]);
  });

  it("a startup probe that never succeeds calls onFailure", async () => {
    const { probes, target, timers, failures, changes } = setup({ startupProbe: execProbe("boot", { periodSeconds: 1, failureThreshold: 5 }), livenessProbe: execProbe("alive") });
    target.reply("boot", { code: 1, stdout: "starting" });
    probes.start();
    await timers.advance(3_000);
    expect(failures).toEqual([]);
    await timers.advance(1_000);
    expect(failures).toEqual([["startup", "Startup probe failed: starting"]]);
    expect(target.callsOf("alive")).toEqual([]);
    expect(changes).toEqual([]);
  });

  it("counts a command that outlives timeoutSeconds as a failure", async () => {
    const { probes, target, timers, unhealthy, failures } = setup({ livenessProbe: execProbe("sh", { timeoutSeconds: 2, failureThreshold: 1 }) });
    target.reply("sh", "hang");
    probes.start();
    await timers.advance(1_999);
    expect(unhealthy).toEqual([]);
    await timers.advance(1);
    expect(unhealthy).toEqual([["liveness", 'Liveness probe failed: command "sh" timed out']]);
    expect(failures.length).toBe(1);
  });

  it("counts a runtime that gives up on its own timeout as a timeout", async () => {
    const { probes, target, timers, unhealthy } = setup({ readinessProbe: { exec: { command: ["cat", "/tmp/ready"] } } });
    target.reply("cat", new Error("ctr task exec: timed out after 1000 ms"));
    probes.start();
    await timers.advance(0);
    expect(unhealthy).toEqual([["readiness", 'Readiness probe failed: command "cat /tmp/ready" timed out']]);
  });

  it("runs each attempt one period after the previous one began, however long it took", async () => {
    const timers = new FakeTimers();
    const starts: number[] = [];
    const target: ProbeTarget = {
      podIP: () => undefined,
      exec: () => {
        starts.push(timers.t);
        return new Promise((resolve) => timers.setTimeout(() => resolve({ code: 0, stdout: "", stderr: "" }), 3_000));
      },
    };
    const probes = new ContainerProbes({ name: "app", readinessProbe: execProbe("slow", { timeoutSeconds: 5 }) }, target, { onChange: () => {}, onFailure: () => {}, timers, now: timers.now });
    probes.start();
    await timers.advance(25_000);
    expect(starts).toEqual([0, 10_000, 20_000]);
  });

  it("a probe that cannot run is reported but counts neither way", async () => {
    const { probes, target, timers, unhealthy, failures, changes } = setup({
      livenessProbe: { httpGet: { path: "/healthz", port: 8080 }, failureThreshold: 1 },
      readinessProbe: { tcpSocket: { port: "web" } },
    });
    target.ip = undefined;
    probes.start();
    await timers.advance(20_000);
    expect(failures).toEqual([]);
    expect(changes).toEqual([{ started: true, ready: false }]);
    expect(unhealthy).toContainEqual(["liveness", "Liveness probe errored and resulted in unknown state: the pod has no IP address yet"]);
    expect(unhealthy).toContainEqual(["readiness", 'Readiness probe errored and resulted in unknown state: port "web" not found in container "app"']);
  });

  it("an exec that errors (container gone) is reported but not counted", async () => {
    const { probes, target, timers, unhealthy, failures } = setup({ livenessProbe: execProbe("alive", { failureThreshold: 1 }) });
    target.reply("alive", new Error("container not running"));
    probes.start();
    await timers.advance(0);
    expect(unhealthy).toEqual([["liveness", "Liveness probe errored and resulted in unknown state: container not running"]]);
    expect(failures).toEqual([]);
  });

  it("stop() cancels what is scheduled and drops the result of an attempt in flight", async () => {
    const { probes, target, timers, changes } = setup({ readinessProbe: execProbe("ready", { timeoutSeconds: 5 }) });
    let release!: () => void;
    target.exec = (argv) => {
      target.calls.push({ argv, at: timers.t });
      return new Promise((resolve) => (release = () => resolve({ code: 0, stdout: "", stderr: "" })));
    };
    probes.start();
    await timers.advance(0);
    probes.stop();
    release();
    await timers.advance(60_000);
    expect(target.calls.length).toBe(1);
    expect(changes).toEqual([{ started: true, ready: false }]);
    expect(probes.state).toEqual({ started: false, ready: false });
    expect(timers.pending).toBe(0);
  });

  it("start() again resets the counts and the state", async () => {
    const { probes, target, timers, changes } = setup({ readinessProbe: execProbe("ready", { successThreshold: 2 }) });
    target.reply("ready", { code: 0 });
    probes.start();
    await timers.advance(10_000);
    expect(probes.state.ready).toBe(true);
    probes.start();
    expect(probes.state).toEqual({ started: true, ready: false });
    await timers.advance(0);
    expect(probes.state.ready).toBe(false);
    await timers.advance(10_000);
    expect(probes.state.ready).toBe(true);
    expect(changes.map((c) => c.ready)).toEqual([false, true, false, true]);
  });
});
