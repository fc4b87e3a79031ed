import { describe, expect, it } from "vitest";
import { jsonPatch, MAX_JSON_PATCH_OPERATIONS } from "../../src/lib/patch";
import { StatusError } from "../../src/api/status";

type Obj = Record<string, any>;

function deployment(): Obj {
  return {
    metadata: {
      name: "web",
      annotations: {
        "deployment.kubernetes.io/revision": "2",
        "kubectl.kubernetes.io/last-applied-configuration": "{}\n",
        "kubernetes.io/change-cause": "v2",
      },
    },
    spec: {
      replicas: 2,
      template: {
        metadata: { labels: { app: "web" }, annotations: { "kubectl.kubernetes.io/restartedAt": "2025-01-01T00:00:00Z" } },
        spec: { containers: [{ name: "nginx", image: "nginx:1.26" }] },
      },
    },
  };
}

function failure(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return e as StatusError;
  }
  throw new Error("expected a StatusError");
}

describe("JSON patch (RFC 6902)", () => {
  it("applies the `kubectl rollout undo` body", () => {
    const template = { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image: "nginx:1.25" }] } };
    const annotations = {
      "deployment.kubernetes.io/revision": "2",
      "kubectl.kubernetes.io/last-applied-configuration": "{}\n",
      "kubernetes.io/change-cause": "v1",
    };
    const live = deployment();
    const out = jsonPatch(live, [
      { op: "replace", path: "/spec/template", value: template },
      { op: "replace", path: "/metadata/annotations", value: annotations },
    ]) as Obj;
    expect(out.spec.template).toEqual(template);
    expect(out.metadata.annotations).toEqual(annotations);
    expect(out.spec.replicas).toBe(2);
    expect(live).toEqual(deployment());
    out.spec.template.metadata.labels.app = "changed";
    expect(template.metadata.labels.app).toBe("web");
  });

  it("adds, removes, moves, copies and tests", () => {
    const out = jsonPatch(deployment(), [
      { op: "test", path: "/spec/replicas", value: 2 },
      { op: "add", path: "/metadata/labels", value: { app: "web" } },
      { op: "add", path: "/metadata/annotations/kubernetes.io~1change-cause", value: "manual" },
      { op: "add", path: "/spec/template/spec/containers/-", value: { name: "sidecar", image: "busybox" } },
      { op: "remove", path: "/spec/template/metadata/annotations" },
      { op: "copy", from: "/spec/replicas", path: "/spec/minReadySeconds" },
      { op: "move", from: "/metadata/labels", path: "/spec/template/metadata/extra" },
    ]) as Obj;
    expect(out.metadata.annotations["kubernetes.io/change-cause"]).toBe("manual");
    expect(out.metadata.labels).toBeUndefined();
    expect(out.spec.template.metadata).toEqual({ labels: { app: "web" }, extra: { app: "web" } });
    expect(out.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(["nginx", "sidecar"]);
    expect(out.spec.minReadySeconds).toBe(2);
  });

  it("answers 422 Invalid with apiserver's fixed message when an operation does not apply", () => {
    const cases: unknown[][] = [
      [{ op: "test", path: "/spec/replicas", value: 3 }],
      [{ op: "remove", path: "/spec/paused" }],
      [{ op: "replace", path: "/spec/missing/field", value: 1 }],
      [{ op: "replace", path: "/spec/paused", value: true }],
      [{ op: "add", path: "/metadata/labels/app", value: "x" }],
      [{ op: "bogus", path: "/spec" }],
      [{ op: "add", path: "/spec/x" }],
      [{ op: "move", path: "/spec/x" }],
      [{ op: "_get", path: "/spec" }],
      [{ op: "add", path: "/__proto__/polluted", value: 1 }],
    ];
    for (const ops of cases) {
      const err = failure(() => jsonPatch(deployment(), ops));
      expect([err.code, err.reason, err.message], JSON.stringify(ops)).toEqual([422, "Invalid", "the server rejected our request due to an error in our request"]);
      expect(err.toStatus().details).toEqual({});
    }
    expect(({} as Obj).polluted).toBeUndefined();
  });

  it("leaves the original alone when a later operation fails", () => {
    const live = deployment();
    failure(() => jsonPatch(live, [{ op: "replace", path: "/spec/replicas", value: 9 }, { op: "test", path: "/spec/replicas", value: 2 }]));
    expect(live).toEqual(deployment());
  });

  it("answers 400 BadRequest for a body that is not a list of operations", () => {
    const notArray = failure(() => jsonPatch(deployment(), { op: "add", path: "/a", value: 1 }));
    expect([notArray.code, notArray.reason, notArray.message]).toEqual([400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch"]);
    const notObject = failure(() => jsonPatch(deployment(), ["add"]));
    expect([notObject.code, notObject.message]).toEqual([400, "json: cannot unmarshal string into Go value of type jsonpatch.Operation"]);
  });

  it("answers 413 for more operations than apiserver allows", () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: "test", path: "/spec/replicas", value: 2 }));
    const err = failure(() => jsonPatch(deployment(), ops));
    expect([err.code, err.reason]).toEqual([413, "RequestEntityTooLarge"]);
    expect(err.message).toContain("got 10001");
  });

  it("accepts an empty operation list as no change", () => {
    expect(jsonPatch(deployment(), [])).toEqual(deployment());
  });
});
