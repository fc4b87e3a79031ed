import { describe, expect, it } from "vitest";
import { RESOURCE_TYPES, findKind } from "../../src/resources/registry";
import { messages } from "../../src/schema/fields";

describe("resource registry", () => {
  it("names a protobuf message the field facts know for every kind", () => {
    for (const rt of RESOURCE_TYPES) expect(messages[rt.message], rt.message).toBeDefined();
  });
  it("finds a kind by apiVersion", () => {
    expect(findKind("apps/v1", "Deployment")?.resource).toBe("deployments");
    expect(findKind("v1", "Pod")?.resource).toBe("pods");
    expect(findKind("v2", "Pod")).toBeUndefined();
  });
});
