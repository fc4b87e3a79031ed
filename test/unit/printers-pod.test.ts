import { describe, expect, it } from "vitest";
import { humanDuration, toTable } from "../../src/resources/printers";
import { findResource } from "../../src/resources/registry";

const NOW = new Date("2024-05-01T12:00:00Z");
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();
const MIN = 60_000;
const PODS = findResource("", "v1", "pods")!;

type Obj = Record<string, unknown>;
function row(obj: Obj): { cells: unknown[]; conditions?: unknown } {
  const table = toTable(PODS, [obj], { now: NOW }) as { rows: { cells: unknown[]; conditions?: unknown }[] };
  return table.rows[0];
}
function cells(obj: Obj): Record<string, unknown> {
  const table = toTable(PODS, [obj], { now: NOW }) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
  return Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name, table.rows[0].cells[i]]));
}

function pod(name: string, extra: { spec?: Obj; status?: Obj; metadata?: Obj }): Obj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: `uid-${name}`, creationTimestamp: ago(5 * MIN), ...extra.metadata },
    spec: { containers: [{ name: "web", image: "nginx:1.27" }], ...extra.spec },
    status: extra.status ?? {},
  };
}

const running = (ready = true, restartCount = 0, last?: Obj): Obj => ({
  name: "web",
  ready,
  started: true,
  restartCount,
  state: { running: { startedAt: ago(4 * MIN) } },
  ...(last ? { lastState: last } : {}),
});

describe("pod columns", () => {
  it("declares upstream's columns with wide ones at priority 1", () => {
    const table = toTable(PODS, [], { now: NOW }) as { columnDefinitions: { name: string; type: string; format: string; priority: number }[] };
    expect(table.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([
      ["Name", "string", "name", 0],
      ["Ready", "string", "", 0],
      ["Status", "string", "", 0],
      ["Restarts", "string", "", 0],
      ["Age", "string", "", 0],
      ["IP", "string", "", 1],
      ["Node", "string", "", 1],
      ["Nominated Node", "string", "", 1],
      ["Readiness Gates", "string", "", 1],
    ]);
  });
});

describe("pod rows", () => {
  it("prints a running pod", () => {
    const p = pod("web-1", {
      spec: { nodeName: "node-1" },
      status: { phase: "Running", podIP: "10.1.0.5", podIPs: [{ ip: "10.1.0.5" }], containerStatuses: [running()] },
    });
    expect(row(p).cells).toEqual(["web-1", "1/1", "Running", "0", "5m", "10.1.0.5", "node-1", "<none>", "<none>"]);
    expect(row(p).conditions).toBeUndefined();
  });

  it("prints a pending, unscheduled pod with <none> placeholders", () => {
    const p = pod("web-2", { status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] } });
    expect(row(p).cells).toEqual(["web-2", "0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"]);
  });

  it("prints a crash-looping pod with its waiting reason and last restart", () => {
    const p = pod("crash", {
      spec: { nodeName: "node-1" },
      status: {
        phase: "Running",
        podIPs: [{ ip: "10.1.0.7" }],
        containerStatuses: [
          {
            name: "web",
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 40s" } },
            lastState: { terminated: { exitCode: 1, reason: "Error", finishedAt: ago(30_000) } },
          },
        ],
      },
    });
    const c = cells(p);
    expect(c.Ready).toBe("0/1");
    expect(c.Status).toBe("CrashLoopBackOff");
    expect(c.Restarts).toBe("4 (30s ago)");
  });

  it("prints restarts with the newest termination across containers", () => {
    const p = pod("two", {
      spec: { containers: [{ name: "a" }, { name: "b" }] },
      status: {
        phase: "Running",
        containerStatuses: [
          { ...running(true, 1, { terminated: { exitCode: 1, finishedAt: ago(3 * 3600_000) } }), name: "a" },
          { ...running(true, 1, { terminated: { exitCode: 1, finishedAt: ago(5 * MIN) } }), name: "b" },
        ],
      },
    });
    expect(cells(p).Ready).toBe("2/2");
    expect(cells(p).Restarts).toBe("2 (5m ago)");
  });

  it("shows the first container's reason and mixes ready counts", () => {
    const p = pod("mix", {
      spec: { containers: [{ name: "a" }, { name: "b" }] },
      status: {
        phase: "Running",
        containerStatuses: [
          { name: "a", ready: false, restartCount: 0, state: { waiting: { reason: "ErrImagePull" } } },
          { name: "b", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } },
        ],
      },
    });
    expect(cells(p).Status).toBe("ErrImagePull");
    expect(cells(p).Ready).toBe("0/2");
  });

  it("prints init progress: Init:0/1, then PodInitializing", () => {
    const waitingInit = pod("init", {
      spec: { initContainers: [{ name: "setup", image: "busybox" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [{ name: "setup", ready: false, restartCount: 0, state: { running: { startedAt: ago(10_000) } } }],
        containerStatuses: [{ name: "web", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }],
      },
    });
    expect(cells(waitingInit).Status).toBe("Init:0/1");

    const initDone = pod("init", {
      spec: { initContainers: [{ name: "setup", image: "busybox" }] },
      status: {
        phase: "Pending",
        conditions: [{ type: "Initialized", status: "True" }],
        initContainerStatuses: [{ name: "setup", ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }],
        containerStatuses: [{ name: "web", ready: false, restartCount: 0, state: { waiting: { reason: "PodInitializing" } } }],
      },
    });
    expect(cells(initDone).Status).toBe("PodInitializing");
  });

  it("prints failed and crash-looping init containers", () => {
    const failed = pod("f", {
      spec: { initContainers: [{ name: "a" }, { name: "b" }] },
      status: {
        phase: "Pending",
        initContainerStatuses: [
          { name: "a", restartCount: 0, state: { terminated: { exitCode: 0 } } },
          { name: "b", restartCount: 2, state: { terminated: { exitCode: 3 } }, lastState: { terminated: { exitCode: 3, finishedAt: ago(MIN) } } },
        ],
      },
    });
    expect(cells(failed).Status).toBe("Init:ExitCode:3");
    expect(cells(failed).Restarts).toBe("2 (60s ago)");
    const signalled = pod("s", { spec: { initContainers: [{ name: "a" }] }, status: { initContainerStatuses: [{ name: "a", state: { terminated: { exitCode: 137, signal: 9 } } }] } });
    expect(cells(signalled).Status).toBe("Init:Signal:9");
    const backoff = pod("b", { spec: { initContainers: [{ name: "a" }] }, status: { initContainerStatuses: [{ name: "a", state: { waiting: { reason: "CrashLoopBackOff" } } }] } });
    expect(cells(backoff).Status).toBe("Init:CrashLoopBackOff");
    const second = pod("n", {
      spec: { initContainers: [{ name: "a" }, { name: "b" }] },
      status: { initContainerStatuses: [{ name: "a", state: { terminated: { exitCode: 0 } } }, { name: "b", state: { running: {} } }] },
    });
    expect(cells(second).Status).toBe("Init:1/2");
  });

  it("counts a started sidecar as a container and keeps its restarts after init", () => {
    const p = pod("side", {
      spec: { initContainers: [{ name: "proxy", restartPolicy: "Always" }] },
      status: {
        phase: "Running",
        conditions: [{ type: "Initialized", status: "True" }, { type: "Ready", status: "True" }],
        initContainerStatuses: [
          { name: "proxy", ready: true, started: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * MIN) } } },
        ],
        containerStatuses: [running()],
      },
    });
    expect(cells(p).Ready).toBe("2/2");
    expect(cells(p).Status).toBe("Running");
    expect(cells(p).Restarts).toBe("1 (2m ago)");
  });

  it("prints Completed with a row condition for a succeeded pod", () => {
    const p = pod("job-x", {
      status: {
        phase: "Succeeded",
        containerStatuses: [{ name: "web", ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }],
      },
    });
    expect(cells(p).Status).toBe("Completed");
    expect(cells(p).Ready).toBe("0/1");
    expect(row(p).conditions).toEqual([{ type: "Completed", status: "True", reason: "Succeeded", message: expect.any(String) }]);
  });

  it("prints Error, ExitCode and Signal for a failed pod, with the failed row condition", () => {
    const p = pod("bad", { status: { phase: "Failed", containerStatuses: [{ name: "web", state: { terminated: { exitCode: 2, reason: "Error" } } }] } });
    expect(cells(p).Status).toBe("Error");
    expect(row(p).conditions).toEqual([{ type: "Completed", status: "True", reason: "Failed", message: expect.any(String) }]);
    const code = pod("bad", { status: { phase: "Failed", containerStatuses: [{ name: "web", state: { terminated: { exitCode: 2 } } }] } });
    expect(cells(code).Status).toBe("ExitCode:2");
    const sig = pod("bad", { status: { phase: "Failed", containerStatuses: [{ name: "web", state: { terminated: { exitCode: 0, signal: 15 } } }] } });
    expect(cells(sig).Status).toBe("Signal:15");
  });

  it("prints Running or NotReady when a container completed but another still runs", () => {
    const statuses = [running(), { name: "job", ready: false, state: { terminated: { exitCode: 0, reason: "Completed" } } }];
    const spec = { containers: [{ name: "web" }, { name: "job" }] };
    const ready = pod("p", { spec, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }], containerStatuses: statuses } });
    expect(cells(ready).Status).toBe("Running");
    const notReady = pod("p", { spec, status: { phase: "Running", conditions: [{ type: "Ready", status: "False" }], containerStatuses: statuses } });
    expect(cells(notReady).Status).toBe("NotReady");
  });

  it("prints Terminating while deleting, but not for finished pods", () => {
    const deleting = pod("t", { metadata: { deletionTimestamp: ago(10_000) }, status: { phase: "Running", containerStatuses: [running()] } });
    expect(cells(deleting).Status).toBe("Terminating");
    expect(cells(deleting).Ready).toBe("1/1");
    const done = pod("t", {
      metadata: { deletionTimestamp: ago(10_000) },
      status: { phase: "Succeeded", containerStatuses: [{ name: "web", state: { terminated: { exitCode: 0, reason: "Completed" } } }] },
    });
    expect(cells(done).Status).toBe("Completed");
    const lost = pod("t", { metadata: { deletionTimestamp: ago(10_000) }, status: { phase: "Running", reason: "NodeLost" } });
    expect(cells(lost).Status).toBe("Unknown");
  });

  it("prints pod-level reasons and scheduling gates", () => {
    expect(cells(pod("e", { status: { phase: "Failed", reason: "Evicted" } })).Status).toBe("Evicted");
    const gated = pod("g", { status: { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "SchedulingGated" }] } });
    expect(cells(gated).Status).toBe("SchedulingGated");
  });

  it("prints readiness gates and the nominated node", () => {
    const p = pod("rg", {
      spec: { readinessGates: [{ conditionType: "example.com/lb" }, { conditionType: "example.com/dns" }] },
      status: {
        phase: "Pending",
        nominatedNodeName: "node-3",
        conditions: [
          { type: "example.com/lb", status: "True" },
          { type: "example.com/dns", status: "False" },
        ],
      },
    });
    expect(cells(p)["Readiness Gates"]).toBe("1/2");
    expect(cells(p)["Nominated Node"]).toBe("node-3");
  });

  it("prints <unknown> age without a creation timestamp", () => {
    expect(cells({ metadata: { name: "x" } }).Age).toBe("<unknown>");
  });
});

describe("humanDuration", () => {
  const S = 1000;
  const H = 60 * MIN;
  const D = 24 * H;
  const Y = 365 * D;
  it.each([
    [-2 * S, "<invalid>"],
    [-1.5 * S, "0s"],
    [-999, "0s"],
    [0, "0s"],
    [999, "0s"],
    [S, "1s"],
    [59 * S, "59s"],
    [60 * S, "60s"],
    [119 * S, "119s"],
    [120 * S, "2m"],
    [121 * S, "2m1s"],
    [192 * S, "3m12s"],
    [9 * MIN + 59 * S, "9m59s"],
    [10 * MIN, "10m"],
    [10 * MIN + 59 * S, "10m"],
    [179 * MIN, "179m"],
    [3 * H, "3h"],
    [3 * H + 1 * MIN, "3h1m"],
    [7 * H + 59 * MIN, "7h59m"],
    [8 * H, "8h"],
    [47 * H + 59 * MIN, "47h"],
    [48 * H, "2d"],
    [2 * D + 3 * H, "2d3h"],
    [7 * D + 23 * H, "7d23h"],
    [8 * D, "8d"],
    [8 * D + 5 * H, "8d"],
    [2 * Y - H, "729d"],
    [2 * Y, "2y"],
    [2 * Y + 40 * D, "2y40d"],
    [8 * Y - D, "7y364d"],
    [8 * Y, "8y"],
    [40 * Y + 100 * D, "40y"],
  ])("%d ms -> %s", (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});
