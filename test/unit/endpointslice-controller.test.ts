import { beforeEach, describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import type { Change, Controller } from "../../src/controllers/controller";
import { endpointsController } from "../../src/controllers/endpoints/controller";
import { endpointSliceController } from "../../src/controllers/endpointslice/controller";
import { serviceLoadBalancerController } from "../../src/controllers/service-lb/controller";
import { findResource } from "../../src/resources/registry";
import { FakeView, POD } from "./fake-view";

type Obj = Record<string, any>;

const SVC = findResource("", "v1", "services")!;
const NODE = findResource("", "v1", "nodes")!;
const SLICE = findResource("discovery.k8s.io", "v1", "endpointslices")!;

const service = (name: string, spec: Obj = {}): Obj => ({
  metadata: { name, namespace: "default" },
  spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }], ...spec },
});

function pod(name: string, ip: string, labels: Record<string, string> = { app: "web" }): Obj {
  return {
    metadata: { name, namespace: "default", labels },
    spec: { nodeName: "n1", containers: [{ name: "c" }] },
    status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: "True" }] },
  };
}

const terminating = () =>
  new StatusError(403, "Forbidden", "unable to create new content in namespace default because it is being terminated", {
    causes: [{ reason: "NamespaceTerminating", message: "namespace default is being terminated", field: "metadata.namespace" }],
  });

/** What the writes of a reconcile were, as "verb resource name". */
const writes = (view: FakeView) => view.actions.map((a) => `${a.verb} ${a.resource} ${a.name}`);

describe("the EndpointSlice controller", () => {
  let view: FakeView;
  let ctrl: Controller;
  const changes: Change[] = [];
  beforeEach(() => {
    view = new FakeView();
    ctrl = endpointSliceController(view);
    changes.length = 0;
    view.onChange((c) => changes.push(c));
  });

  it("creates one slice, then writes nothing on a reconcile that finds nothing new", () => {
    view.seed(SVC, service("web"));
    view.seed(POD, pod("a", "10.244.0.1"));
    ctrl.reconcile("default/web");
    expect(writes(view)).toEqual([expect.stringMatching(/^create endpointslices web-[a-z0-9]{5}$/)]);
    view.clearActions();
    ctrl.reconcile("default/web");
    expect(writes(view)).toEqual([]);
  });

  it("updates the slice in place when a pod turns unready", () => {
    view.seed(SVC, service("web"));
    view.seed(POD, pod("a", "10.244.0.1"));
    ctrl.reconcile("default/web");
    view.clearActions();
    view.userUpdateStatus(POD, "default", "a", (p) => (p.status.conditions[0].status = "False"));
    ctrl.reconcile("default/web");
    expect(view.actions.map((a) => [a.verb, a.obj.endpoints[0].conditions.ready])).toEqual([["update", false]]);
  });

  it("leaves services without a selector, ExternalName and deleting services alone", () => {
    view.seed(SVC, service("bare", { selector: undefined }));
    view.seed(SVC, { metadata: { name: "ext", namespace: "default" }, spec: { type: "ExternalName", externalName: "x.example.com", selector: { app: "web" } } });
    view.seed(SVC, { ...service("going"), metadata: { name: "going", namespace: "default", deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["x"] } });
    for (const k of ["default/bare", "default/ext", "default/going", "default/missing"]) ctrl.reconcile(k);
    expect(writes(view)).toEqual([]);
  });

  it("gives up quietly when the namespace is being terminated", () => {
    view.seed(SVC, service("web"));
    view.prependReactor((verb) => (verb === "create" ? terminating() : undefined));
    expect(() => ctrl.reconcile("default/web")).not.toThrow();
  });

  it("names only the services a pod change concerns", () => {
    view.seed(SVC, service("web"));
    view.seed(SVC, service("api", { selector: { app: "api" } }));
    view.seed(SVC, service("bare", { selector: undefined }));
    view.seed(POD, pod("a", "10.244.0.1"));
    const keysOf = (c: Change) => ctrl.keysFor(c).sort();
    expect(keysOf(changes.at(-1)!)).toEqual(["default/web"]);
    view.userUpdate(POD, "default", "a", (p) => (p.metadata.annotations = { note: "x" }));
    expect(keysOf(changes.at(-1)!)).toEqual([]);
    view.userUpdate(POD, "default", "a", (p) => (p.metadata.labels = { app: "api" }));
    expect(keysOf(changes.at(-1)!)).toEqual(["default/api", "default/web"]);
  });

  it("sees a new service's selector at once (its cache is dropped on service changes)", () => {
    view.seed(POD, pod("a", "10.244.0.1", { app: "late" }));
    const podChange = changes.at(-1)!;
    expect(ctrl.keysFor(podChange)).toEqual([]);
    view.seed(SVC, service("late", { selector: { app: "late" } }));
    expect(ctrl.keysFor(changes.at(-1)!)).toEqual(["default/late"]);
    expect(ctrl.keysFor(podChange)).toEqual(["default/late"]);
  });

  it("maps a managed slice to its service, and ignores others", () => {
    view.seed(SVC, service("web"));
    view.seed(POD, pod("a", "10.244.0.1"));
    ctrl.reconcile("default/web");
    const managed = changes.find((c) => c.rt === SLICE)!;
    expect(ctrl.keysFor(managed)).toEqual(["default/web"]);
    view.seed(SLICE, { metadata: { name: "mine", namespace: "default", labels: { "kubernetes.io/service-name": "web" } }, addressType: "IPv4", endpoints: [] });
    expect(ctrl.keysFor(changes.at(-1)!)).toEqual([]);
  });
});

describe("the Endpoints controller", () => {
  let view: FakeView;
  let ctrl: Controller;
  beforeEach(() => {
    view = new FakeView();
    ctrl = endpointsController(view);
  });

  it("creates the Endpoints once and deletes it with its service", () => {
    view.seed(SVC, service("web"));
    view.seed(POD, pod("a", "10.244.0.1"));
    ctrl.reconcile("default/web");
    ctrl.reconcile("default/web");
    expect(writes(view)).toEqual(["create endpoints web"]);
    expect(view.actions[0].obj.subsets).toEqual([
      { addresses: [{ ip: "10.244.0.1", nodeName: "n1", targetRef: { kind: "Pod", namespace: "default", name: "a", uid: expect.any(String) } }], ports: [{ port: 8080, protocol: "TCP" }] },
    ]);
    view.userDelete(SVC, "default", "web");
    view.clearActions();
    ctrl.reconcile("default/web");
    expect(writes(view)).toEqual(["delete endpoints web"]);
  });

  it("leaves a selectorless service's Endpoints to the user", () => {
    view.seed(SVC, service("manual", { selector: undefined }));
    view.seed(findResource("", "v1", "endpoints")!, { metadata: { name: "manual", namespace: "default" }, subsets: [{ addresses: [{ ip: "192.168.0.9" }], ports: [{ port: 80 }] }] });
    ctrl.reconcile("default/manual");
    expect(writes(view)).toEqual([]);
  });

  it("gives up quietly when the namespace is being terminated", () => {
    view.seed(SVC, service("web"));
    view.prependReactor((verb) => (verb === "create" ? terminating() : undefined));
    expect(() => ctrl.reconcile("default/web")).not.toThrow();
  });
});

describe("the LoadBalancer controller", () => {
  let view: FakeView;
  let ctrl: Controller;
  const changes: Change[] = [];
  const node = (name: string, ip: string): Obj => ({
    metadata: { name },
    spec: {},
    status: { conditions: [{ type: "Ready", status: "True" }], addresses: [{ type: "InternalIP", address: ip }] },
  });
  beforeEach(() => {
    view = new FakeView();
    ctrl = serviceLoadBalancerController(view);
    changes.length = 0;
    view.onChange((c) => changes.push(c));
  });

  it("writes the status once, and only for LoadBalancer services", () => {
    view.seed(NODE, node("n1", "192.168.0.2"));
    view.seed(SVC, service("lb", { type: "LoadBalancer" }));
    view.seed(SVC, service("plain"));
    ctrl.reconcile("default/lb");
    ctrl.reconcile("default/lb");
    ctrl.reconcile("default/plain");
    expect(view.actions.map((a) => [a.verb, a.name, a.obj.status.loadBalancer])).toEqual([["update-status", "lb", { ingress: [{ ip: "192.168.0.2", ipMode: "VIP" }] }]]);
  });

  it("reacts to a node only when what it serves changes", () => {
    view.seed(SVC, service("lb", { type: "LoadBalancer" }));
    view.seed(NODE, node("n1", "192.168.0.2"));
    expect(ctrl.keysFor(changes.at(-1)!)).toEqual(["default/lb"]);
    view.userUpdateStatus(NODE, "", "n1", (n) => (n.status.conditions[0].lastHeartbeatTime = "2026-01-01T00:00:10Z"));
    expect(ctrl.keysFor(changes.at(-1)!)).toEqual([]);
    view.userUpdate(NODE, "", "n1", (n) => (n.spec.unschedulable = true));
    expect(ctrl.keysFor(changes.at(-1)!)).toEqual(["default/lb"]);
  });
});
