import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { defaultAndValidate } from "../../src/resources/kinds/index";
import { findKind } from "../../src/resources/registry";

function run(kind: string, obj: Record<string, unknown>, old?: Record<string, unknown>): string[] {
  try {
    defaultAndValidate(findKind("apps/v1", kind)!, obj, old);
    return [];
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
  }
}

function workload(spec: Record<string, unknown> = {}, labels: Record<string, string> = { app: "web" }): Record<string, any> {
  return {
    metadata: { name: "web", namespace: "default" },
    spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels }, spec: { containers: [{ name: "web", image: "nginx" }] } }, ...spec },
  };
}

describe("deployment defaults", () => {
  it("fills replicas, strategy, history and deadline", () => {
    const d = workload();
    expect(run("Deployment", d)).toEqual([]);
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template.metadata.creationTimestamp).toBeNull();
    expect(d.spec.template.spec).toMatchObject({ restartPolicy: "Always", dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler", terminationGracePeriodSeconds: 30, securityContext: {} });
    expect(d.spec.template.spec.containers[0]).toMatchObject({ imagePullPolicy: "Always", resources: {} });
    // Template-only: no pod-level admission defaults.
    expect(d.spec.template.spec.enableServiceLinks).toBeUndefined();
    expect(d.spec.template.spec.tolerations).toBeUndefined();
  });

  it("keeps replicas 0 and adds no rollingUpdate for Recreate", () => {
    const d = workload({ replicas: 0, strategy: { type: "Recreate" } });
    expect(run("Deployment", d)).toEqual([]);
    expect(d.spec.replicas).toBe(0);
    expect(d.spec.strategy).toEqual({ type: "Recreate" });
  });
});

describe("deployment validation", () => {
  it.each([
    ["negative replicas", workload({ replicas: -1 }), ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]],
    ["no selector", workload({ selector: undefined }), ["spec.selector: Required value"]],
    [
      "an empty selector",
      workload({ selector: {} }),
      ["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"],
    ],
    [
      "a selector that misses the template",
      workload({}, { app: "other", tier: "fe" }),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"fe"}: `selector` does not match template `labels`'],
    ],
    [
      "both surge and unavailable zero",
      workload({ strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
    ],
    [
      "maxUnavailable above 100%",
      workload({ strategy: { rollingUpdate: { maxUnavailable: "150%" } } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%'],
    ],
    [
      "a malformed percentage",
      workload({ strategy: { rollingUpdate: { maxSurge: "abc" } } }),
      [`spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"abc"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`],
    ],
    [
      "an unknown strategy",
      workload({ strategy: { type: "BlueGreen" } }),
      ['spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"'],
    ],
    ["negative minReadySeconds", workload({ minReadySeconds: -5 }), ["spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0"]],
    ["a deadline not above minReadySeconds", workload({ minReadySeconds: 600 }), ["spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"]],
    [
      "a template that does not restart Always",
      (() => {
        const d = workload();
        d.spec.template.spec.restartPolicy = "OnFailure";
        return d;
      })(),
      ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'],
    ],
    [
      "a template container without image (allowed: templates may be completed later)",
      (() => {
        const d = workload();
        delete d.spec.template.spec.containers[0].image;
        return d;
      })(),
      [],
    ],
    [
      "matchExpressions selecting the template",
      workload({ selector: { matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }] } }),
      [],
    ],
    [
      "an In expression with no values",
      workload({ selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In" }] } }),
      ["spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"],
    ],
  ])("%s", (_, d, want) => expect(run("Deployment", d)).toEqual(want));

  it("freezes the selector on update", () => {
    const old = workload();
    run("Deployment", old);
    const changed = workload({ selector: { matchLabels: { app: "web", v: "2" } } }, { app: "web", v: "2" });
    expect(run("Deployment", changed, old)).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
    expect(run("Deployment", workload({ replicas: 3 }), old)).toEqual([]);
  });
});

describe("replicaset", () => {
  it("defaults replicas and shares the workload rules", () => {
    const rs = workload();
    expect(run("ReplicaSet", rs)).toEqual([]);
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.strategy).toBeUndefined();
    expect(run("ReplicaSet", workload({ replicas: -2 }))).toEqual(["spec.replicas: Invalid value: -2: must be greater than or equal to 0"]);
    expect(run("ReplicaSet", workload({}, { app: "x" }))[0]).toMatch(/`selector` does not match template `labels`$/);
  });
});
