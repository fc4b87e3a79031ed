import { describe, expect, it } from "vitest";
import { eventRecorder, hex64, referenceTo } from "../../src/controllers/events/recorder";
import { EVENT_TTL_MS, eventTtlController, lastSeen } from "../../src/controllers/events/ttl";
import { ControllerLoop, GcFakeView, T } from "./gc-fake-view";

type Obj = Record<string, any>;

function setup() {
  const view = new GcFakeView();
  view.seed(T.namespace, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  const [p] = view.seed(T.pod, { apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", namespace: "default" }, spec: {} });
  const [node] = view.seed(T.node, { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } });
  const record = eventRecorder(view, "default-scheduler");
  return { view, pod: p, node, record, events: () => view.list(T.event, undefined) };
}

describe("event recorder", () => {
  it("writes a core/v1 Event as client-go's recorder does", () => {
    const { view, pod, record, events } = setup();
    record(pod, "Normal", "Scheduled", "Successfully assigned default/web-1 to n1");
    const [ev] = events();
    expect(ev.metadata.name).toMatch(/^web-1\.[0-9a-f]{16}$/);
    expect(ev).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      metadata: { namespace: "default" },
      involvedObject: { kind: "Pod", namespace: "default", name: "web-1", uid: pod.metadata.uid, apiVersion: "v1", resourceVersion: pod.metadata.resourceVersion },
      reason: "Scheduled",
      message: "Successfully assigned default/web-1 to n1",
      type: "Normal",
      source: { component: "default-scheduler" },
      firstTimestamp: view.timestamp(),
      lastTimestamp: view.timestamp(),
      count: 1,
      reportingComponent: "default-scheduler",
      reportingInstance: "",
    });
  });

  it("aggregates a repeat into the same Event: count 1 → 2, lastTimestamp moves", () => {
    const { view, pod, record, events } = setup();
    record(pod, "Warning", "FailedScheduling", "0/1 nodes are available");
    const first = events()[0];
    view.clock.advance(90_000);
    record(pod, "Warning", "FailedScheduling", "0/1 nodes are available");
    const after = events();
    expect(after).toHaveLength(1);
    expect(after[0].metadata.name).toBe(first.metadata.name);
    expect(after[0].count).toBe(2);
    expect(after[0].firstTimestamp).toBe(first.firstTimestamp);
    expect(after[0].lastTimestamp).toBe(view.timestamp());
  });

  it.each<[string, (r: ReturnType<typeof eventRecorder>, o: Obj) => void]>([
    ["reasons", (r, o) => (r(o, "Normal", "Pulling", "m"), r(o, "Normal", "Pulled", "m"))],
    ["messages", (r, o) => (r(o, "Normal", "Pulled", "image a"), r(o, "Normal", "Pulled", "image b"))],
    ["types", (r, o) => (r(o, "Normal", "BackOff", "m"), r(o, "Warning", "BackOff", "m"))],
  ])("distinct %s make distinct Events", (_name, recordTwo) => {
    const { pod, record, events } = setup();
    recordTwo(record, pod);
    const evs = events();
    expect(evs).toHaveLength(2);
    expect(evs.every((e) => e.count === 1)).toBe(true);
  });

  it("another component's identical event is its own series", () => {
    const { view, pod, record, events } = setup();
    record(pod, "Normal", "Killing", "Stopping container web");
    eventRecorder(view, "kubelet")(pod, "Normal", "Killing", "Stopping container web");
    expect(events().map((e) => e.source.component).sort()).toEqual(["default-scheduler", "kubelet"]);
  });

  it("puts events about cluster-scoped objects in default, without an involved namespace", () => {
    const { node, record, events } = setup();
    record(node, "Normal", "NodeReady", "Node n1 status is now: NodeReady");
    const [ev] = events();
    expect(ev.metadata.namespace).toBe("default");
    expect(ev.involvedObject.namespace).toBeUndefined();
    expect(ev.involvedObject).toMatchObject({ kind: "Node", name: "n1", uid: node.metadata.uid });
  });

  it("drops an event it cannot write instead of failing the caller", () => {
    const { view, record, events } = setup();
    const ghost = { apiVersion: "v1", kind: "Pod", metadata: { name: "x", namespace: "gone", uid: "u" } };
    view.create = () => {
      throw new Error("namespace gone is being terminated");
    };
    expect(() => record(ghost, "Normal", "Scheduled", "m")).not.toThrow();
    expect(events()).toEqual([]);
  });

  it("names are 16 hex digits of a stable hash", () => {
    expect(hex64("")).toBe("cbf29ce484222325");
    expect(hex64("a")).toBe("af63dc4c8601ec8c");
    expect(referenceTo({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d", namespace: "ns", uid: "u" } })).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "d",
      namespace: "ns",
      uid: "u",
    });
  });
});

describe("event TTL", () => {
  const key = (ev: Obj) => `${ev.metadata.namespace}/${ev.metadata.name}`;

  it.each([
    ["just recorded", 0, { requeueAfterMs: EVENT_TTL_MS }],
    ["20 minutes old", 20 * 60_000, { requeueAfterMs: 40 * 60_000 }],
    ["an hour old", EVENT_TTL_MS, undefined],
    ["two hours old", 2 * EVENT_TTL_MS, undefined],
  ])("an Event %s", (_name, age, want) => {
    const { view, pod, record, events } = setup();
    record(pod, "Normal", "Pulled", "m");
    view.clock.advance(age);
    const ttl = eventTtlController(view);
    expect(ttl.reconcile(key(events()[0]))).toEqual(want);
    expect(events()).toHaveLength(want ? 1 : 0);
  });

  it("a repeat moves the deadline; the loop wakes exactly when it expires", () => {
    const { view, pod, record, events } = setup();
    const loop = new ControllerLoop(view, [eventTtlController(view)]);
    const start = view.now();
    record(pod, "Normal", "Pulled", "m");
    expect(loop.settle()).toBe(start + EVENT_TTL_MS);
    view.clock.advance(30 * 60_000);
    record(pod, "Normal", "Pulled", "m");
    expect(loop.settle()).toBe(start + 30 * 60_000 + EVENT_TTL_MS);
    view.clock.advance(EVENT_TTL_MS - 1000);
    expect(loop.settle()).toBe(start + 30 * 60_000 + EVENT_TTL_MS);
    expect(events()).toHaveLength(1);
    view.clock.advance(1000);
    expect(loop.settle()).toBeUndefined();
    expect(events()).toEqual([]);
  });

  it("ignores deletions and other kinds", () => {
    const { view, pod } = setup();
    const ttl = eventTtlController(view);
    const ev = { metadata: { name: "e", namespace: "default" } };
    expect(ttl.keysFor({ rt: T.event, obj: ev, old: undefined, created: true, deleted: false })).toEqual(["default/e"]);
    expect(ttl.keysFor({ rt: T.event, obj: ev, old: ev, created: false, deleted: true })).toEqual([]);
    expect(ttl.keysFor({ rt: T.pod, obj: pod, old: undefined, created: true, deleted: false })).toEqual([]);
  });

  it("reads the last occurrence of events.k8s.io Events from their series", () => {
    expect(lastSeen({ eventTime: "2026-01-01T00:00:00.000000Z", series: { count: 3, lastObservedTime: "2026-01-01T00:10:00.000000Z" } })).toBe(
      Date.UTC(2026, 0, 1, 0, 10),
    );
  });
});
