import { describe, expect, it } from "vitest";
import { applyPatch, patchTypeOf } from "../../src/lib/patch";
import { StatusError } from "../../src/api/status";

const DEPLOYMENT = "k8s.io.api.apps.v1.Deployment";
const live = () => ({
  metadata: { name: "web", labels: { app: "web" } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: "nginx", image: "nginx:1.25" }, { name: "sidecar", image: "busybox" }] } } },
});

describe("patchTypeOf", () => {
  it("maps the three patch content types, ignoring parameters and case", () => {
    expect(patchTypeOf("application/json-patch+json")).toBe("json");
    expect(patchTypeOf("application/merge-patch+json; charset=utf-8")).toBe("merge");
    expect(patchTypeOf("Application/Strategic-Merge-Patch+JSON")).toBe("strategic");
  });
  it("returns undefined for other types, including server-side apply", () => {
    expect(patchTypeOf("application/apply-patch+yaml")).toBeUndefined();
    expect(patchTypeOf("application/json")).toBeUndefined();
    expect(patchTypeOf("")).toBeUndefined();
    expect(patchTypeOf("constructor")).toBeUndefined();
  });
});

describe("applyPatch", () => {
  const body = { spec: { template: { spec: { containers: [{ name: "nginx", image: "nginx:1.27" }] } } } };

  it("merges lists by key for a strategic merge patch", () => {
    const out = applyPatch("strategic", live(), body, DEPLOYMENT) as ReturnType<typeof live>;
    expect(out.spec.template.spec.containers).toEqual([
      { name: "nginx", image: "nginx:1.27" },
      { name: "sidecar", image: "busybox" },
    ]);
  });

  it("replaces lists for a JSON merge patch", () => {
    const out = applyPatch("merge", live(), body, DEPLOYMENT) as ReturnType<typeof live>;
    expect(out.spec.template.spec.containers).toEqual([{ name: "nginx", image: "nginx:1.27" }]);
    expect(applyPatch("merge", live(), { spec: { replicas: 4 } }, DEPLOYMENT)).toEqual({ ...live(), spec: { ...live().spec, replicas: 4 } });
  });

  it("applies JSON patch operations", () => {
    const out = applyPatch("json", live(), [{ op: "replace", path: "/spec/replicas", value: 5 }], DEPLOYMENT);
    expect((out as ReturnType<typeof live>).spec.replicas).toBe(5);
  });

  it("answers 400 for a merge or strategic body that is not an object", () => {
    for (const [type, bad] of [["merge", [1]], ["merge", "x"], ["merge", null], ["strategic", [1]], ["strategic", 7]] as const) {
      let err: unknown;
      try {
        applyPatch(type, live(), bad, DEPLOYMENT);
      } catch (e) {
        err = e;
      }
      expect(err, `${type} ${JSON.stringify(bad)}`).toBeInstanceOf(StatusError);
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).reason).toBe("BadRequest");
    }
  });
});
