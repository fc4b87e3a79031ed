import { env } from "cloudflare:workers";
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/lib/clock";
import type { ClusterStore } from "../../src/store/cluster-store";
import { deployment, json } from "./helpers";

const DEPLOY = "/apis/apps/v1/namespaces/default/deployments";
const MINUTE = 60_000;

function store(): DurableObjectStub<ClusterStore> {
  return env.CLUSTER.get(env.CLUSTER.idFromName("default"));
}

const alarmAt = () => runInDurableObject(store() as DurableObjectStub, (_i: unknown, state: DurableObjectState) => state.storage.getAlarm());
const alarmRuns = async () => (await store().stats()).alarmRuns;

/** Runs the alarm while it is due by the real clock (a write arms it for now), at most `max` times. */
async function drain(max = 50): Promise<void> {
  for (let i = 0; i < max; i++) {
    const at = await alarmAt();
    if (at === null || at > Date.now() + 1000) return;
    await runDurableObjectAlarm(store());
  }
}

/**
 * Lets an idle hour pass on a manual clock, a minute at a time, with a read each minute; an alarm
 * runs only when its time has come on that clock. Returns how many alarm runs it took.
 */
async function idleHour(clock: ManualClock, minutes = 60): Promise<number> {
  const before = await alarmRuns();
  for (let m = 0; m < minutes; m++) {
    clock.advance(MINUTE);
    expect((await json("/api/v1/namespaces")).status).toBe(200);
    const at = await alarmAt();
    if (at !== null && at <= clock.now()) await runDurableObjectAlarm(store());
  }
  return (await alarmRuns()) - before;
}

async function useClock(clock: ManualClock): Promise<void> {
  // The store reads time through `time`; swapping it moves every module onto the manual clock.
  await runInDurableObject(store() as DurableObjectStub, (instance: unknown) => {
    (instance as { time: ManualClock }).time = clock;
  });
}

/** Reports every pod of the app Running and Ready, as a kubelet would. */
async function makeReady(app: string): Promise<number> {
  const pods = (await json(`/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).body.items;
  let n = 0;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp || p.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")) continue;
    const status = { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }] };
    const r = await json(`/api/v1/namespaces/default/pods/${p.metadata.name}/status`, { method: "PATCH", body: { status }, contentType: "application/merge-patch+json" });
    expect(r.status).toBe(200);
    n++;
  }
  return n;
}

async function replicaSets(app: string): Promise<any[]> {
  return (await json(`/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3D${app}`)).body.items;
}

function complete(d: any, replicas: number): boolean {
  const s = d.status ?? {};
  return s.observedGeneration === d.metadata.generation && s.replicas === replicas && s.updatedReplicas === replicas && s.availableReplicas === replicas;
}

/** Plays the kubelet and the alarm until the deployment is complete or the time runs out. */
async function rollUntilComplete(name: string, replicas: number, ms = 20_000): Promise<any> {
  const deadline = Date.now() + ms;
  let d = (await json(`${DEPLOY}/${name}`)).body;
  while (!complete(d, replicas) && Date.now() < deadline) {
    await makeReady(name);
    if ((await alarmAt()) !== null) await runDurableObjectAlarm(store());
    else await new Promise((r) => setTimeout(r, 20));
    d = (await json(`${DEPLOY}/${name}`)).body;
  }
  return d;
}

describe("alarms of an idle cluster", () => {
  it("sets no alarm at all once a bootstrapped cluster's queue drains", async () => {
    expect((await json("/api/v1/namespaces/default")).status).toBe(200);
    await drain();
    expect(await alarmAt()).toBeNull();
    expect((await store().stats()).queue).toBe(0);
    const clock = new ManualClock(Date.now());
    await useClock(clock);
    expect(await idleHour(clock)).toBe(0);
    expect(await alarmAt()).toBeNull();
  });

  it("wakes a settled workload only when its Events expire", async () => {
    await abortAllDurableObjects();
    expect((await json(DEPLOY, { body: deployment("calm", 2) })).status).toBe(201);
    const d = await rollUntilComplete("calm", 2);
    expect(complete(d, 2)).toBe(true);
    await drain();
    const events = (await json("/api/v1/namespaces/default/events")).body.items;
    expect(events.length).toBeGreaterThan(0);
    // The only deadline left is the first Event's expiry, an hour after it happened.
    const at = await alarmAt();
    expect(at).not.toBeNull();
    expect(at!).toBeGreaterThan(Date.now() + 55 * MINUTE);
    const clock = new ManualClock(Date.now());
    await useClock(clock);
    expect(await idleHour(clock, 55)).toBe(0);
    const runs = await idleHour(clock, 10);
    expect(runs).toBeGreaterThan(0);
    expect((await json("/api/v1/namespaces/default/events")).body.items).toEqual([]);
    // Deleting the Events may leave queued keys due now; once they ran, nothing is left.
    for (let i = 0; i < 10 && (await alarmAt()) !== null; i++) await runDurableObjectAlarm(store());
    expect(await alarmAt()).toBeNull();
  });
});
