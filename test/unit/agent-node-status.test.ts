import { describe, expect, it, vi } from "vitest";
import type { NodeFacts } from "../../agent/node/node-info";
import { nodeConditions, statusFingerprint, statusImages, MAX_STATUS_IMAGES } from "../../agent/node/node-status";
import { startNodeStatus } from "../../agent/node/status-reporter";
import { ManualClock } from "../../src/lib/clock";
import { FakeNodeApi } from "./agent-node-fake-api";

const NODE = "/api/v1/nodes/n1";
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const facts = (cpu = "2"): NodeFacts => ({
  capacity: { cpu, memory: "4000000Ki", "ephemeral-storage": "1000000Ki", pods: "110" },
  allocatable: { cpu, memory: "3897600Ki", "ephemeral-storage": "900000Ki", pods: "110" },
  nodeInfo: {
    machineID: "m",
    systemUUID: "s",
    bootID: "b",
    kernelVersion: "6.1.0",
    osImage: "Debian GNU/Linux 12 (bookworm)",
    containerRuntimeVersion: "containerd://1.6.20",
    kubeletVersion: "v1.32.0-flotilla",
    operatingSystem: "linux",
    architecture: "amd64",
  },
  addresses: [
    { type: "InternalIP", address: "10.0.0.5" },
    { type: "Hostname", address: "n1" },
  ],
});

describe("node status", () => {
  it("reports the four kubelet conditions, keeping a transition time while the status holds", () => {
    const first = nodeConditions(undefined, T0);
    expect(first.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["MemoryPressure", "False", "KubeletHasSufficientMemory"],
      ["DiskPressure", "False", "KubeletHasNoDiskPressure"],
      ["PIDPressure", "False", "KubeletHasSufficientPID"],
      ["Ready", "True", "KubeletReady"],
    ]);
    expect(first.find((c) => c.type === "Ready")!.message).toBe("kubelet is posting ready status");
    const later = nodeConditions(first, T0 + 61_000);
    expect(later.every((c) => c.lastHeartbeatTime === "2026-01-01T12:01:01Z" && c.lastTransitionTime === "2026-01-01T12:00:00Z")).toBe(true);
    // The node controller marked it Unknown during an outage: Ready starts a new transition.
    const unknown = later.map((c) => (c.type === "Ready" ? { ...c, status: "Unknown", lastTransitionTime: "2026-01-01T12:01:30Z" } : c));
    const back = nodeConditions(unknown, T0 + 120_000);
    expect(back.find((c) => c.type === "Ready")).toMatchObject({ status: "True", lastTransitionTime: "2026-01-01T12:02:00Z" });
    expect(back.find((c) => c.type === "DiskPressure")!.lastTransitionTime).toBe("2026-01-01T12:00:00Z");
  });

  it("lists the largest images first, at most 50, and only named ones", () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ names: [`img-${i}`], sizeBytes: i * 10 }));
    const out = statusImages([...many, { names: [], sizeBytes: 1e12 }]);
    expect(out).toHaveLength(MAX_STATUS_IMAGES);
    expect(out[0]).toEqual({ names: ["img-59"], sizeBytes: 590 });
    expect(out.at(-1)).toEqual({ names: ["img-10"], sizeBytes: 100 });
  });

  it("fingerprints ignore heartbeat times and other components' conditions", () => {
    const a = { capacity: { cpu: "2" }, conditions: nodeConditions(undefined, T0) };
    const b = { capacity: { cpu: "2" }, conditions: [...nodeConditions(a.conditions, T0 + 30_000), { type: "NetworkUnavailable", status: "False" }] };
    expect(statusFingerprint(a)).toBe(statusFingerprint(b));
    expect(statusFingerprint({ ...a, capacity: { cpu: "4" } })).not.toBe(statusFingerprint(a));
  });
});

/** A sleep that lets the test release waits one at a time, moving the clock by the time waited. */
function steppedSleep(clock: ManualClock) {
  const waits: { ms: number; release: () => void }[] = [];
  return {
    waits,
    sleep: (ms: number) => new Promise<void>((release) => void waits.push({ ms, release })),
    async next(): Promise<{ ms: number; release: () => void }> {
      await vi.waitFor(() => expect(waits.length).toBeGreaterThan(0));
      return waits.shift()!;
    },
  };
}

const patches = (api: FakeNodeApi) => api.calls.filter((c) => c.verb === "patch");

describe("startNodeStatus", () => {
  it("posts Ready with the node's facts at once, again only when changed, and at least every interval", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1" }, status: {} });
    const clock = new ManualClock(T0);
    const s = steppedSleep(clock);
    const cpu = "2";
    let images = [{ names: ["docker.io/library/busybox:1.36"], sizeBytes: 2_000_000 }];
    const reporter = startNodeStatus({ client: api, nodeName: "n1", facts: async () => facts(cpu), images: async () => images, clock, sleep: s.sleep, minIntervalMs: 1000, maxIntervalMs: 60_000 });
    try {
      let w = await s.next();
      expect(w.ms).toBe(60_000);
      expect(patches(api)).toHaveLength(1);
      expect(patches(api)[0]).toMatchObject({ path: `${NODE}/status`, patchType: "strategic" });
      const status = api.objects.get(NODE)!.status;
      expect(status.conditions.find((c: any) => c.type === "Ready")).toMatchObject({ status: "True", reason: "KubeletReady", lastHeartbeatTime: "2026-01-01T12:00:00Z" });
      expect(status.capacity.cpu).toBe("2");
      expect(status.nodeInfo.kubeletVersion).toBe("v1.32.0-flotilla");
      expect(status.images).toEqual(images);

      // A poke with nothing changed posts nothing.
      clock.advance(5_000);
      reporter.poke();
      w = await s.next();
      expect(patches(api)).toHaveLength(1);
      expect(w.ms).toBe(55_000);

      // A new image: the poke posts it.
      images = [...images, { names: ["registry.local/app:v2"], sizeBytes: 9_000_000 }];
      clock.advance(1_000);
      reporter.poke();
      w = await s.next();
      expect(patches(api)).toHaveLength(2);
      expect(api.objects.get(NODE)!.status.images[0].names).toEqual(["registry.local/app:v2"]);
      expect(w.ms).toBe(60_000);

      // Nothing changes for a minute: the periodic post refreshes the heartbeat.
      clock.advance(w.ms);
      w.release();
      w = await s.next();
      expect(patches(api)).toHaveLength(3);
      const ready = api.objects.get(NODE)!.status.conditions.find((c: any) => c.type === "Ready");
      expect(ready).toMatchObject({ lastHeartbeatTime: "2026-01-01T12:01:06Z", lastTransitionTime: "2026-01-01T12:00:00Z" });
    } finally {
      await reporter.stop();
    }
  });

  it("keeps pokes at least minIntervalMs apart", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1" }, status: {} });
    const clock = new ManualClock(T0);
    const s = steppedSleep(clock);
    let cpu = 2;
    const reporter = startNodeStatus({ client: api, nodeName: "n1", facts: async () => facts(String(cpu)), images: async () => [], clock, sleep: s.sleep, minIntervalMs: 1000 });
    try {
      await s.next(); // idle after the first post
      clock.advance(200);
      cpu = 3;
      reporter.poke();
      const spacing = await s.next();
      expect(spacing.ms).toBe(800);
      expect(patches(api)).toHaveLength(1);
      clock.advance(spacing.ms);
      spacing.release();
      await vi.waitFor(() => expect(patches(api)).toHaveLength(2));
      expect(api.objects.get(NODE)!.status.capacity.cpu).toBe("3");
    } finally {
      await reporter.stop();
    }
  });

  it("retries after failures and re-posts Ready when the server is back", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1" }, status: {} });
    api.down = true;
    const clock = new ManualClock(T0);
    const s = steppedSleep(clock);
    const errors: unknown[] = [];
    const reporter = startNodeStatus({ client: api, nodeName: "n1", facts: async () => facts(), images: async () => [], clock, sleep: s.sleep, random: () => 0, onError: (e) => errors.push(e) });
    try {
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        const w = await s.next();
        delays.push(w.ms);
        clock.advance(w.ms);
        w.release();
      }
      expect(delays).toEqual([1000, 2000, 4000]);
      const retry = await s.next();
      expect(retry.ms).toBe(8000);
      expect(errors).toHaveLength(4);
      expect(patches(api)).toHaveLength(0);
      api.down = false;
      clock.advance(retry.ms);
      retry.release();
      const idle = await s.next();
      expect(idle.ms).toBe(60_000);
      expect(patches(api)).toHaveLength(1);
      expect(api.objects.get(NODE)!.status.conditions.find((c: any) => c.type === "Ready")).toMatchObject({ status: "True", lastHeartbeatTime: "2026-01-01T12:00:15Z" });
      expect(errors).toHaveLength(4);
    } finally {
      await reporter.stop();
    }
  });
});
