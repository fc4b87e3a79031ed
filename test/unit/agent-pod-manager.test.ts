import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock";
import { PodManager } from "../../agent/pods/pod-manager";
import { PodRecordStore } from "../../agent/pods/pod-record";
import { ImageIndex } from "../../agent/pods/image-index";
import type { PodApiPort, RuntimePort, SandboxPort } from "../../agent/pods/ports";
import type { RunSpec } from "../../agent/runtime/ctr";
import type { TaskEvent } from "../../agent/runtime/events";

/**
 * The pod sync loop against an in-memory containerd: what it starts, restarts and removes, and
 * the status it reports, driven by task events and a manual clock.
 */
class FakeRuntime implements RuntimePort {
  containers = new Map<string, RunSpec>();
  tasks = new Map<string, { pid: number; status: string }>();
  calls: string[] = [];
  private nextPid = 100;
  /** Containers whose task ends before `run` returns (a command that exits at once). */
  quick = new Map<string, number>();
  onEvent: (e: TaskEvent) => void = () => {};

  async run(spec: RunSpec) {
    if (this.containers.has(spec.id)) throw new Error("already exists");
    this.containers.set(spec.id, spec);
    this.calls.push(`run ${spec.id}`);
    this.startTaskNow(spec.id);
    const code = this.quick.get(spec.id);
    if (code !== undefined) {
      await new Promise((r) => setImmediate(r));
      this.exit(spec.id, code);
    }
  }
  async startTask(id: string) {
    this.calls.push(`start ${id}`);
    this.startTaskNow(id);
  }
  private startTaskNow(id: string) {
    const pid = this.nextPid++;
    this.tasks.set(id, { pid, status: "RUNNING" });
    queueMicrotask(() => this.onEvent({ topic: "start", containerId: id, pid }));
  }
  exit(id: string, exitCode: number) {
    const t = this.tasks.get(id)!;
    t.status = "STOPPED";
    this.onEvent({ topic: "exit", containerId: id, pid: t.pid, exitCode, exitedAt: new Date(0).toISOString() });
  }
  async kill(id: string, signal = "SIGTERM") {
    this.calls.push(`kill ${id} ${signal}`);
    if (this.tasks.get(id)?.status === "RUNNING") this.exit(id, signal === "SIGKILL" ? 137 : 143);
  }
  async deleteTask(id: string) {
    this.tasks.delete(id);
    return {};
  }
  async deleteContainer(id: string) {
    this.tasks.delete(id);
    if (this.containers.delete(id)) this.calls.push(`delete ${id}`);
  }
  async listTasks() {
    return new Map(this.tasks);
  }
  async hasImage() {
    return true;
  }
  async pullImage() {}
  async imageConfig() {
    return { entrypoint: [], cmd: ["sh"], env: [], workingDir: "" };
  }
  async listImages() {
    return [{ ref: "docker.io/library/busybox:local", digest: "sha256:abc", sizeBytes: 1 }];
  }
  async exec() {
    return { code: 0, stdout: "", stderr: "" };
  }
}

class FakeSandboxes implements SandboxPort {
  live = new Set<string>();
  async ensure(spec: { id: string }) {
    this.live.add(spec.id);
    return { id: spec.id, ip: "10.244.0.9", netnsPath: `/run/netns/${spec.id}`, utsPath: "/u", hostsPath: "/h", resolvPath: "/r" };
  }
  async remove(id: string) {
    this.live.delete(id);
  }
  async list() {
    return [...this.live];
  }
}

function fakeApi() {
  const statuses: any[] = [];
  const deleted: string[] = [];
  const events: string[] = [];
  const api: PodApiPort = {
    async patchStatus(_ns, _name, status) {
      statuses.push(structuredClone(status));
    },
    async deletePod(_ns, name) {
      deleted.push(name);
    },
    event(_pod, _type, reason) {
      events.push(reason);
    },
    async configMap() {
      return undefined;
    },
    async secret() {
      return undefined;
    },
  };
  return { api, statuses, deleted, events, last: () => statuses[statuses.length - 1] };
}

function pod(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { metadata: { name, namespace: "default", uid: `uid-${name}`, ...extra }, spec: { nodeName: "n1", ...spec }, status: {} };
}

describe("pod manager with a fake containerd", () => {
  let dir: string;
  let clock: ManualClock;
  let rt: FakeRuntime;
  let sb: FakeSandboxes;
  let api: ReturnType<typeof fakeApi>;
  let timers: { at: number; fn: () => void }[];
  let m: PodManager;
  let deps: ConstructorParameters<typeof PodManager>[0];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "agent-pods-"));
    clock = new ManualClock(1_700_000_000_000);
    rt = new FakeRuntime();
    sb = new FakeSandboxes();
    api = fakeApi();
    timers = [];
    deps = {
      nodeName: "n1",
      hostIP: () => "192.0.2.1",
      dataDir: dir,
      runtime: rt,
      sandboxes: sb,
      api: api.api,
      records: new PodRecordStore(dir),
      images: new ImageIndex(rt, clock),
      clock,
      dns: { clusterNameserver: "10.244.0.1", clusterDomain: "cluster.local", host: { nameservers: ["192.0.2.53"], searches: [], options: [] } },
      sleep: async (ms) => {
        clock.advance(ms);
        await new Promise((r) => setImmediate(r));
      },
      listContainers: async () => [...rt.containers.values()].map((s) => ({ id: s.id, labels: s.labels })),
      setTimer: (fn, ms) => {
        const t = { at: clock.now() + ms, fn };
        timers.push(t);
        return t;
      },
      clearTimer: (h) => {
        timers = timers.filter((t) => t !== h);
      },
    };
    m = new PodManager(deps);
    rt.onEvent = (e) => m.onTaskEvent(e);
    await m.start([]);
  });
  afterEach(async () => {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function settle() {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      await m.idle();
    }
  }
  /** Moves the clock and fires the timers that came due. */
  async function advance(ms: number) {
    clock.advance(ms);
    const due = timers.filter((t) => t.at <= clock.now());
    timers = timers.filter((t) => t.at > clock.now());
    for (const t of due) t.fn();
    await settle();
  }

  it("starts a pod's containers and reports it Running and Ready", async () => {
    m.upsert(pod("web", { containers: [{ name: "c", image: "busybox:local" }] }));
    await settle();
    expect(rt.calls).toEqual(["run uidweb-c"]);
    expect(rt.containers.get("uidweb-c")!.namespaces.map((n) => n.type)).toEqual(["network", "uts"]);
    const s = api.last();
    expect(s.phase).toBe("Running");
    expect(s.podIP).toBe("10.244.0.9");
    expect(s.containerStatuses[0]).toMatchObject({ name: "c", ready: true, restartCount: 0, imageID: "docker.io/library/busybox@sha256:abc" });
  });

  it("restarts a crashing container at once, then after a 10 s back-off", async () => {
    m.upsert(pod("crash", { containers: [{ name: "c", image: "busybox:local" }] }));
    await settle();
    rt.exit("uidcrash-c", 3);
    await settle();
    expect(rt.calls).toEqual(["run uidcrash-c", "start uidcrash-c"]);
    expect(api.last().containerStatuses[0].restartCount).toBe(1);
    rt.exit("uidcrash-c", 3);
    await settle();
    const waiting = api.last().containerStatuses[0];
    expect(waiting.state.waiting.reason).toBe("CrashLoopBackOff");
    expect(waiting.lastState.terminated).toMatchObject({ exitCode: 3, reason: "Error" });
    expect(rt.calls.length).toBe(2);
    await advance(9_000);
    expect(rt.calls.length).toBe(2);
    await advance(1_000);
    expect(rt.calls).toEqual(["run uidcrash-c", "start uidcrash-c", "start uidcrash-c"]);
    expect(api.last().containerStatuses[0].restartCount).toBe(2);
  });

  it("runs init containers one after another before the app containers, and succeeds with restartPolicy Never", async () => {
    m.upsert(pod("init", { restartPolicy: "Never", initContainers: [{ name: "i1", image: "busybox:local" }, { name: "i2", image: "busybox:local" }], containers: [{ name: "app", image: "busybox:local" }] }));
    await settle();
    expect(rt.calls).toEqual(["run uidinit-i1"]);
    expect(api.last().phase).toBe("Pending");
    rt.exit("uidinit-i1", 0);
    await settle();
    expect(rt.calls).toEqual(["run uidinit-i1", "run uidinit-i2"]);
    rt.exit("uidinit-i2", 0);
    await settle();
    expect(rt.calls.at(-1)).toBe("run uidinit-app");
    expect(api.last().phase).toBe("Running");
    rt.exit("uidinit-app", 0);
    await settle();
    expect(api.last().phase).toBe("Succeeded");
    expect(rt.calls.filter((c) => c.startsWith("start"))).toEqual([]);
  });

  it("moves on at once when a container ends before its start has returned", async () => {
    rt.quick.set("uidfast-i1", 0);
    rt.quick.set("uidfast-i2", 0);
    m.upsert(pod("fast", { initContainers: [{ name: "i1", image: "busybox:local" }, { name: "i2", image: "busybox:local" }], containers: [{ name: "app", image: "busybox:local" }] }));
    await settle();
    expect(rt.calls).toEqual(["run uidfast-i1", "run uidfast-i2", "run uidfast-app"]);
    expect(timers).toEqual([]);
  });

  it("fails a pod whose init container fails under restartPolicy Never", async () => {
    m.upsert(pod("badinit", { restartPolicy: "Never", initContainers: [{ name: "i", image: "busybox:local" }], containers: [{ name: "app", image: "busybox:local" }] }));
    await settle();
    rt.exit("uidbadinit-i", 1);
    await settle();
    expect(api.last().phase).toBe("Failed");
    expect(rt.calls).toEqual(["run uidbadinit-i"]);
  });

  it("starts sidecars before the app and stops them once the app is done", async () => {
    m.upsert(pod("side", { restartPolicy: "Never", initContainers: [{ name: "proxy", image: "busybox:local", restartPolicy: "Always" }], containers: [{ name: "app", image: "busybox:local" }] }));
    await settle();
    expect(rt.calls).toEqual(["run uidside-proxy", "run uidside-app"]);
    rt.exit("uidside-app", 0);
    await settle();
    expect(rt.calls).toContain("kill uidside-proxy SIGTERM");
    expect(api.last().phase).toBe("Succeeded");
  });

  it("a graceful deletion kills the containers, removes the sandbox and completes the deletion", async () => {
    const p = pod("gone", { terminationGracePeriodSeconds: 5, containers: [{ name: "c", image: "busybox:local" }] });
    m.upsert(p);
    await settle();
    expect(sb.live.size).toBe(1);
    m.upsert({ ...p, metadata: { ...p.metadata, deletionTimestamp: "2026-01-01T00:00:00Z", deletionGracePeriodSeconds: 5 } });
    await settle();
    expect(rt.calls).toContain("kill uidgone-c SIGTERM");
    expect(rt.containers.size).toBe(0);
    expect(sb.live.size).toBe(0);
    expect(api.deleted).toEqual(["gone"]);
  });

  it("after a restart adopts running containers instead of starting them again", async () => {
    m.upsert(pod("keep", { containers: [{ name: "c", image: "busybox:local" }] }));
    await settle();
    await m.stop();
    const again = new PodManager(deps);
    rt.onEvent = (e) => again.onTaskEvent(e);
    rt.calls = [];
    await again.start([pod("keep", { containers: [{ name: "c", image: "busybox:local" }] })]);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      await again.idle();
    }
    expect(rt.calls).toEqual([]);
    m = again;
  });

  it("removes containers of pods that no longer exist when it starts", async () => {
    m.upsert(pod("stale", { containers: [{ name: "c", image: "busybox:local" }] }));
    await settle();
    await m.stop();
    const again = new PodManager(deps);
    rt.onEvent = (e) => again.onTaskEvent(e);
    await again.start([]);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      await again.idle();
    }
    expect(rt.containers.size).toBe(0);
    expect(sb.live.size).toBe(0);
    m = again;
  });
});
