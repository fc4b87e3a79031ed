import { describe, expect, it, vi } from "vitest";
import { startLeaseRenewal } from "../../agent/node/lease";
import { ManualClock } from "../../src/lib/clock";
import { FakeNodeApi } from "./agent-node-fake-api";

const LEASE = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1";
const NODE = "/api/v1/nodes/n1";

/** A sleep the test releases one call at a time; each release moves the clock by the time slept. */
function steppedSleep(clock: ManualClock) {
  const waits: { ms: number; release: () => void }[] = [];
  const slept: number[] = [];
  return {
    slept,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        slept.push(ms);
        waits.push({ ms, release: resolve });
      }),
    /** Waits for the loop to ask for its next sleep, then lets that sleep pass. */
    async step(): Promise<number> {
      await vi.waitFor(() => expect(waits.length).toBeGreaterThan(0));
      const w = waits.shift()!;
      clock.advance(w.ms);
      w.release();
      return w.ms;
    },
    async asked(n: number): Promise<void> {
      await vi.waitFor(() => expect(slept.length).toBeGreaterThanOrEqual(n));
    },
  };
}

describe("startLeaseRenewal", () => {
  it("creates the Lease owned by the Node, then renews it every interval with a microsecond renewTime", async () => {
    const api = new FakeNodeApi();
    const node = api.seed(NODE, { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } });
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0, 250));
    const s = steppedSleep(clock);
    const lease = startLeaseRenewal({ client: api, nodeName: "n1", clock, sleep: s.sleep });
    try {
      await s.asked(1);
      const created = api.objects.get(LEASE)!;
      expect(created.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: "n1", uid: node.metadata.uid }]);
      expect(created.spec).toEqual({ holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: "2026-01-01T12:00:00.250000Z" });
      expect(await s.step()).toBe(10_000);
      await s.asked(2);
      expect(api.objects.get(LEASE)!.spec.renewTime).toBe("2026-01-01T12:00:10.250000Z");
      // The second renewal is a single patch of the spec.
      expect(api.calls.at(-1)).toEqual({ verb: "patch", path: LEASE, body: { spec: { holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: "2026-01-01T12:00:10.250000Z" } }, patchType: "merge" });
    } finally {
      await lease.stop();
    }
  });

  it("takes over an existing Lease and sets its owner", async () => {
    const api = new FakeNodeApi();
    const node = api.seed(NODE, { metadata: { name: "n1" } });
    api.seed(LEASE, { metadata: { name: "n1", namespace: "kube-node-lease" }, spec: { holderIdentity: "someone-else", renewTime: "2020-01-01T00:00:00.000000Z" } });
    const clock = new ManualClock();
    const s = steppedSleep(clock);
    const lease = startLeaseRenewal({ client: api, nodeName: "n1", clock, sleep: s.sleep });
    try {
      await s.asked(1);
      const got = api.objects.get(LEASE)!;
      expect(got.spec.holderIdentity).toBe("n1");
      expect(got.metadata.ownerReferences[0].uid).toBe(node.metadata.uid);
      expect(api.calls.filter((c) => c.verb === "create")).toHaveLength(0);
    } finally {
      await lease.stop();
    }
  });

  it("retries with back-off capped at the interval while the server is away, and says when it is back", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1" } });
    const clock = new ManualClock();
    const s = steppedSleep(clock);
    const errors: unknown[] = [];
    let recovered = 0;
    const lease = startLeaseRenewal({ client: api, nodeName: "n1", clock, sleep: s.sleep, random: () => 0, intervalMs: 5000, onError: (e) => errors.push(e), onRecovered: () => recovered++ });
    try {
      await s.asked(1);
      api.down = true;
      const delays: number[] = [];
      for (let i = 0; i < 6; i++) delays.push(await s.step());
      expect(delays).toEqual([5000, 1000, 2000, 4000, 5000, 5000]);
      expect(errors).toHaveLength(5);
      expect(recovered).toBe(0);
      api.down = false;
      await s.step();
      await s.asked(8);
      expect(s.slept.at(-1)).toBe(5000);
      expect(recovered).toBe(1);
      expect(api.objects.get(LEASE)!.spec.renewTime).toBe(new Date(clock.now()).toISOString().replace("Z", "000Z"));
    } finally {
      await lease.stop();
    }
  });

  it("recreates a Lease someone deleted", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1" } });
    const clock = new ManualClock();
    const s = steppedSleep(clock);
    const lease = startLeaseRenewal({ client: api, nodeName: "n1", clock, sleep: s.sleep });
    try {
      await s.asked(1);
      api.objects.delete(LEASE);
      await s.step();
      await s.asked(2);
      expect(api.objects.get(LEASE)?.metadata.ownerReferences).toHaveLength(1);
      expect(api.calls.filter((c) => c.verb === "create")).toHaveLength(2);
    } finally {
      await lease.stop();
    }
  });

  it("stops in the middle of a wait", async () => {
    const api = new FakeNodeApi();
    api.seed(NODE, { metadata: { name: "n1" } });
    const lease = startLeaseRenewal({ client: api, nodeName: "n1", clock: new ManualClock(), sleep: () => new Promise(() => undefined) });
    await vi.waitFor(() => expect(api.objects.has(LEASE)).toBe(true));
    await lease.stop();
    const calls = api.calls.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(api.calls.length).toBe(calls);
  });
});
