import { describe, expect, it } from "vitest";
import { api, json, readEvents } from "./helpers";

describe("one object, two API versions", () => {
  it("serves events.k8s.io/v1 Events and core/v1 Events from one storage", async () => {
    const ev = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: "e1", namespace: "default" },
      eventTime: "2026-01-01T00:00:00.000000Z",
      reportingController: "example.com/ctl",
      reportingInstance: "ctl-1",
      action: "Started",
      reason: "Started",
      type: "Normal",
      note: "started the thing",
      regarding: { kind: "Pod", namespace: "default", name: "p1", uid: "u-1" },
    };
    const created = await json("/apis/events.k8s.io/v1/namespaces/default/events", { body: ev });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: "events.k8s.io/v1", note: "started the thing", regarding: { name: "p1" } });
    const core = await json("/api/v1/namespaces/default/events/e1");
    expect(core.body).toMatchObject({ apiVersion: "v1", kind: "Event", message: "started the thing", involvedObject: { name: "p1", uid: "u-1" }, reportingComponent: "example.com/ctl" });
    const byObject = await json("/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid%3Du-1");
    expect(byObject.body.items.map((i: any) => i.metadata.name)).toEqual(["e1"]);
    const back = await json("/apis/events.k8s.io/v1/namespaces/default/events/e1");
    expect(back.body.note).toBe("started the thing");
  });

  it("serves autoscaling/v1 HPAs converted from the stored v2 form", async () => {
    const v1 = {
      apiVersion: "autoscaling/v1",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
    };
    const rv = (await json("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers")).body.metadata.resourceVersion;
    const watch = await api(`/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=true&resourceVersion=${rv}`);
    const created = await json("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers", { body: v1 });
    expect(created.status).toBe(201);
    expect(created.body.spec.targetCPUUtilizationPercentage).toBe(60);
    const v2 = await json("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web");
    expect(v2.body.spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } }]);
    const events = await readEvents(watch, 1);
    expect(events[0]).toMatchObject({ type: "ADDED", object: { apiVersion: "autoscaling/v1", spec: { targetCPUUtilizationPercentage: 60 } } });
    const patched = await json("/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web", {
      method: "PATCH",
      body: { spec: { targetCPUUtilizationPercentage: 75 } },
      contentType: "application/merge-patch+json",
    });
    expect(patched.body.spec.targetCPUUtilizationPercentage).toBe(75);
    expect((await json("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web")).body.spec.metrics[0].resource.target.averageUtilization).toBe(75);
  });
});
