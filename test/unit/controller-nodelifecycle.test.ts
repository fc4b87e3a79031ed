import { describe, expect, it } from "vitest";
import { nodeLifecycleController } from "../../src/controllers/nodelifecycle/controller";
import { nodeIpamController, nthSubnet } from "../../src/controllers/nodelifecycle/ipam";
import { evictionTime, lifecycleTaints, tolerates, withLifecycleTaints } from "../../src/controllers/nodelifecycle/taints";
import { rfc3339 } from "../../src/lib/clock";
import { findResource } from "../../src/resources/registry";
import { FakeView, POD } from "./fake-view";

const NODE = findResource("", "v1", "nodes")!;
const LEASE = findResource("coordination.k8s.io", "v1", "leases")!;

describe("taints and tolerations", () => {
  it.each([
    [{ key: "a", operator: "Exists" }, { key: "a", value: "x", effect: "NoExecute" }, true],
    [{ key: "a", value: "x" }, { key: "a", value: "x", effect: "NoExecute" }, true],
    [{ key: "a", value: "y" }, { key: "a", value: "x", effect: "NoExecute" }, false],
    [{ operator: "Exists" }, { key: "any", effect: "NoSchedule" }, true],
    [{ key: "a", operator: "Exists", effect: "NoSchedule" }, { key: "a", effect: "NoExecute" }, false],
  ])("toleration %j vs taint %j → %s", (tol, taint, want) => expect(tolerates(tol, taint)).toBe(want));

  it("evicts at once without a toleration, after tolerationSeconds with one, never with an open-ended one", () => {
    const now = Date.UTC(2026, 0, 1);
    const taint = { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: rfc3339(now - 100_000) };
    expect(evictionTime({ spec: {} }, [taint], now)).toBe(now);
    const tol = (s?: number) => ({ spec: { tolerations: [{ key: taint.key, operator: "Exists", effect: "NoExecute", ...(s === undefined ? {} : { tolerationSeconds: s }) }] } });
    expect(evictionTime(tol(300), [taint], now)).toBe(now - 100_000 + 300_000);
    expect(evictionTime(tol(), [taint], now)).toBeUndefined();
  });

  it("keeps other taints and the time a NoExecute taint was added", () => {
    const ts = "2026-01-01T00:00:00Z";
    const first = withLifecycleTaints([{ key: "x", effect: "NoSchedule" }], lifecycleTaints("Unknown"), ts);
    expect(first).toEqual([
      { key: "x", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unreachable", effect: "NoSchedule" },
      { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: ts },
    ]);
    expect(withLifecycleTaints(first, lifecycleTaints("Unknown"), "later")).toEqual(first);
    expect(withLifecycleTaints(first, lifecycleTaints("True"), ts)).toEqual([{ key: "x", effect: "NoSchedule" }]);
  });
});

describe("node IPAM", () => {
  it("hands out /24s in order and skips used ones", () => {
    expect(nthSubnet("10.244.0.0/16", 24, 0)).toBe("10.244.0.0/24");
    expect(nthSubnet("10.244.0.0/16", 24, 255)).toBe("10.244.255.0/24");
    expect(nthSubnet("10.244.0.0/16", 24, 256)).toBeUndefined();
    const view = new FakeView();
    const ipam = nodeIpamController(view);
    view.create(NODE, { apiVersion: "v1", kind: "Node", metadata: { name: "a" }, spec: { podCIDR: "10.244.0.0/24" } });
    view.create(NODE, { apiVersion: "v1", kind: "Node", metadata: { name: "b" } });
    ipam.reconcile("b");
    expect(view.get(NODE, "", "b")!.spec.podCIDR).toBe("10.244.1.0/24");
  });
});

describe("node lifecycle", () => {
  function setup() {
    const view = new FakeView();
    const ctl = nodeLifecycleController(view, { gracePeriodMs: 40_000 });
    const ts = view.timestamp();
    view.create(NODE, { apiVersion: "v1", kind: "Node", metadata: { name: "n1" }, status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: ts, lastTransitionTime: ts }] } });
    view.create(LEASE, { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "n1", namespace: "kube-node-lease" }, spec: { holderIdentity: "n1", renewTime: `${ts.slice(0, -1)}.000000Z`, leaseDurationSeconds: 40 } });
    return { view, ctl };
  }

  it("waits for the lease to expire, requeueing for exactly then", () => {
    const { view, ctl } = setup();
    view.clock.advance(10_000);
    expect(ctl.reconcile("n1")).toEqual({ requeueAfterMs: 30_000 });
    expect(view.get(NODE, "", "n1")!.spec?.taints).toBeUndefined();
  });

  it("marks a silent node Unknown, taints it, evicts intolerant pods and waits for tolerant ones", () => {
    const { view, ctl } = setup();
    const pod = (name: string, tolerationSeconds?: number) =>
      view.create(POD, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "default" },
        spec: {
          nodeName: "n1",
          containers: [{ name: "c", image: "x" }],
          tolerations: tolerationSeconds === undefined ? [] : [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds }],
        },
      });
    pod("plain");
    pod("patient", 300);
    view.clock.advance(41_000);
    const res = ctl.reconcile("n1");
    const node = view.get(NODE, "", "n1")!;
    expect(node.status.conditions[0]).toMatchObject({ type: "Ready", status: "Unknown", reason: "NodeStatusUnknown" });
    expect(node.spec.taints.map((t: any) => `${t.key}:${t.effect}`)).toEqual(["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"]);
    expect(view.get(POD, "default", "plain")).toBeUndefined();
    expect(view.get(POD, "default", "patient")).toBeDefined();
    expect(res).toEqual({ requeueAfterMs: 300_000 });
    view.clock.advance(300_000);
    ctl.reconcile("n1");
    expect(view.get(POD, "default", "patient")).toBeUndefined();
  });

  it("untaints a node that comes back", () => {
    const { view, ctl } = setup();
    view.clock.advance(41_000);
    ctl.reconcile("n1");
    const node = view.get(NODE, "", "n1")!;
    const ts = view.timestamp();
    view.updateStatus(NODE, { ...node, status: { conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: ts, lastTransitionTime: ts }] } });
    const lease = view.get(LEASE, "kube-node-lease", "n1")!;
    view.update(LEASE, { ...lease, spec: { ...lease.spec, renewTime: `${ts.slice(0, -1)}.000000Z` } });
    ctl.reconcile("n1");
    expect(view.get(NODE, "", "n1")!.spec?.taints).toBeUndefined();
  });
});
