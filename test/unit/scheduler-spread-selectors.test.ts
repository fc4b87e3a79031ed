import { describe, expect, it } from "vitest";
import { spreadSelectors } from "../../src/controllers/scheduler/spread-selectors";
import { findResource, type ResourceType } from "../../src/resources/registry";
import { FakeView, RS } from "./fake-view";
import { pod } from "./scheduler-helpers";

type Obj = Record<string, any>;
const SERVICE = findResource("", "v1", "services")!;

/** A view that counts the reads the memo is meant to save, fed to `observe` like the controller's change feed. */
function setup() {
  const view = new FakeView();
  const reads: string[] = [];
  const counting = Object.assign(Object.create(view), {
    list: (rt: ResourceType, ns: string | undefined, sel?: Obj) => (reads.push(`list ${rt.resource} ${ns}`), view.list(rt, ns, sel)),
    get: (rt: ResourceType, ns: string, name: string) => (reads.push(`get ${rt.resource} ${ns}/${name}`), view.get(rt, ns, name)),
  });
  const sel = spreadSelectors(counting);
  view.onChange((c) => sel.observe(c));
  return { view, sel, reads };
}

function service(name: string, selector: Record<string, string>): Obj {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { selector, ports: [{ port: 80 }] } };
}

function owned(name: string, labels: Record<string, string>, rs: Obj): Obj {
  const p = pod(name, { labels });
  p.metadata.ownerReferences = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata.name, uid: rs.metadata.uid, controller: true }];
  return p;
}

describe("default spreading selectors", () => {
  it("merges the Services' and the controller's selectors, reading each once until it changes", () => {
    const { view, sel, reads } = setup();
    view.create(SERVICE, service("web", { app: "web" }));
    const rs = view.create(RS, { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "web-1", namespace: "default" }, spec: { replicas: 2, selector: { matchLabels: { app: "web", hash: "1" } }, template: {} } });
    const a = sel.selectorFor(owned("a", { app: "web", hash: "1" }, rs))!;
    expect(a.matches({ app: "web", hash: "1" })).toBe(true);
    expect(a.matches({ app: "web", hash: "2" })).toBe(false);
    expect(reads).toEqual(["list services default", "get replicasets default/web-1"]);
    // A sibling with the same labels and owner is answered from memory.
    expect(sel.selectorFor(owned("b", { app: "web", hash: "1" }, rs))!.toString()).toBe(a.toString());
    expect(sel.selectorFor(pod("lone", { labels: { app: "other" } }))).toBeUndefined();
    expect(reads).toHaveLength(2);
    // A status write of the ReplicaSet leaves its selector, and the memo, as they were.
    view.userUpdateStatus(RS, "default", "web-1", (o) => (o.status = { replicas: 2 }));
    sel.selectorFor(owned("c", { app: "web", hash: "1" }, rs));
    expect(reads).toHaveLength(2);
  });

  it("a Service added or changed is seen by the next pod", () => {
    const { view, sel, reads } = setup();
    expect(sel.selectorFor(pod("a", { labels: { app: "web", tier: "fe" } }))).toBeUndefined();
    view.create(SERVICE, service("web", { app: "web" }));
    expect(sel.selectorFor(pod("a", { labels: { app: "web", tier: "fe" } }))!.toString()).toBe("app=web");
    view.userUpdate(SERVICE, "default", "web", (s) => (s.spec.selector = { app: "web", tier: "fe" }));
    expect(sel.selectorFor(pod("a", { labels: { app: "web", tier: "fe" } }))!.toString()).toBe("app=web,tier=fe");
    view.userDelete(SERVICE, "default", "web");
    expect(sel.selectorFor(pod("a", { labels: { app: "web", tier: "fe" } }))).toBeUndefined();
    expect(reads.filter((r) => r.startsWith("list"))).toHaveLength(4);
  });

  it("a controller whose selector changes is read again", () => {
    const { view, sel } = setup();
    const rs = view.create(RS, { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "r", namespace: "default" }, spec: { replicas: 1, selector: { matchLabels: { app: "a" } }, template: {} } });
    const p = owned("p", { app: "a", track: "x" }, rs);
    expect(sel.selectorFor(p)!.toString()).toBe("app in (a)");
    view.userUpdate(RS, "default", "r", (o) => (o.spec.selector = { matchLabels: { app: "a", track: "x" } }));
    expect(sel.selectorFor(p)!.toString()).toBe("app in (a),track in (x)");
  });
});
