import { describe, expect, it } from "vitest";
import { jsonMergePatch } from "../../src/lib/patch";

describe("JSON merge patch (RFC 7386)", () => {
  // The test vectors of RFC 7386 appendix A.
  const vectors: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(vectors)("%j + %j = %j", (target, patch, expected) => {
    expect(jsonMergePatch(target, patch)).toEqual(expected);
  });

  it("applies `kubectl scale` to a deployment without touching anything else", () => {
    const live = { metadata: { name: "web" }, spec: { replicas: 1, template: { spec: { containers: [{ name: "nginx" }] } } } };
    const out = jsonMergePatch(live, { spec: { replicas: 4 } }) as typeof live;
    expect(out).toEqual({ ...live, spec: { ...live.spec, replicas: 4 } });
    expect(live.spec.replicas).toBe(1);
    expect(out.spec.template).not.toBe(live.spec.template);
  });

  it("replaces lists whole and does not alias the patch", () => {
    const patch = { spec: { template: { spec: { containers: [{ name: "only" }] } } } };
    const out = jsonMergePatch({ spec: { template: { spec: { containers: [{ name: "a" }, { name: "b" }] } } } }, patch) as typeof patch;
    expect(out.spec.template.spec.containers).toEqual([{ name: "only" }]);
    out.spec.template.spec.containers[0].name = "changed";
    expect(patch.spec.template.spec.containers[0].name).toBe("only");
  });

  it("keeps a __proto__ key as data", () => {
    const out = jsonMergePatch({}, JSON.parse('{"__proto__":{"polluted":true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
