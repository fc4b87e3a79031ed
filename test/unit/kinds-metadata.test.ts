import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { behaviourOf, defaultAndValidate } from "../../src/resources/kinds/index";
import { findKind, RESOURCE_TYPES } from "../../src/resources/registry";

function run(apiVersion: string, kind: string, obj: Record<string, unknown>, old?: Record<string, unknown>): string[] {
  try {
    defaultAndValidate(findKind(apiVersion, kind)!, obj, old);
    return [];
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    return (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
  }
}

const cm = (metadata: Record<string, unknown>) => ({ metadata: { namespace: "default", ...metadata } });

describe("metadata validation", () => {
  it.each([
    ["a valid name", { name: "web.v1" }, []],
    [
      "a name with capitals and underscores",
      { name: "Bad_Name" },
      [
        `metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      ],
    ],
    ["no name", {}, ["metadata.name: Required value: name or generateName is required"]],
    ["a generateName with a trailing dash", { generateName: "web-" }, []],
    ["a bad generateName", { generateName: "Web-" }, [expect.stringMatching(/^metadata.generateName: Invalid value: "Web-": a lowercase RFC 1123 subdomain/)]],
    ["a bad label key", { name: "x", labels: { "-a": "b" } }, [expect.stringMatching(/^metadata.labels: Invalid value: "-a": name part must consist of/)]],
    ["a bad label value", { name: "x", labels: { a: "b c" } }, [expect.stringMatching(/^metadata.labels: Invalid value: "b c": a valid label must be an empty string/)]],
    ["a bad annotation key", { name: "x", annotations: { "a/b/c": "v" } }, [expect.stringMatching(/^metadata.annotations: Invalid value: "a\/b\/c": a qualified name must consist/)]],
    ["oversized annotations", { name: "x", annotations: { big: "x".repeat(256 * 1024) } }, ["metadata.annotations: Too long: must have at most 262144 bytes"]],
    ["a non-standard unqualified finalizer", { name: "x", finalizers: ["mine"] }, ['metadata.finalizers: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified']],
    ["qualified and standard finalizers", { name: "x", finalizers: ["example.com/cleanup", "foregroundDeletion"] }, []],
    [
      "an owner reference without uid",
      { name: "x", ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "rs" }] },
      ['metadata.ownerReferences.uid: Invalid value: "": uid must not be empty'],
    ],
  ])("%s", (_, meta, want) => expect(run("v1", "ConfigMap", cm(meta))).toEqual(want));

  it("requires a namespace on namespaced kinds and forbids it on cluster-scoped ones", () => {
    expect(run("v1", "ConfigMap", { metadata: { name: "x" } })).toEqual(["metadata.namespace: Required value"]);
    expect(run("v1", "Node", { metadata: { name: "n1", namespace: "default" } })).toEqual(["metadata.namespace: Forbidden: not allowed on this type"]);
  });

  it("uses the per-kind name rule", () => {
    expect(run("rbac.authorization.k8s.io/v1", "ClusterRole", { metadata: { name: "system:Viewer" }, rules: [] })).toEqual([]);
    expect(run("rbac.authorization.k8s.io/v1", "ClusterRole", { metadata: { name: "a/b" } })).toEqual([`metadata.name: Invalid value: "a/b": may not contain '/'`]);
    expect(run("v1", "Namespace", { metadata: { name: "a.b" } })).toEqual([`metadata.name: Invalid value: "a.b": must not contain dots`]);
    expect(run("v1", "Service", { metadata: { name: "1web", namespace: "d" }, spec: { ports: [{ port: 80 }] } })[0]).toMatch(/^metadata.name: Invalid value: "1web": a DNS-1035 label/);
  });

  it("keeps name and uid frozen on update", () => {
    const old = { metadata: { name: "x", namespace: "default", uid: "u1" } };
    expect(run("v1", "ConfigMap", { metadata: { name: "x", namespace: "default", uid: "u2" } }, old)).toEqual(['metadata.uid: Invalid value: "u2": field is immutable']);
    expect(run("v1", "ConfigMap", { metadata: { name: "x", namespace: "default" } }, old)).toEqual([]);
  });

  it("refuses new finalizers on an object being deleted", () => {
    const old = { metadata: { name: "x", namespace: "default", deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: ["a.io/x"] } };
    expect(run("v1", "ConfigMap", { metadata: { name: "x", namespace: "default", finalizers: ["a.io/x", "b.io/y"] } }, old)).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
    ]);
  });

  it("throws a 422 Invalid Status naming the Kind", () => {
    try {
      defaultAndValidate(findKind("apps/v1", "Deployment")!, { metadata: { name: "bad", namespace: "default" }, spec: { replicas: -1 } });
      expect.unreachable();
    } catch (e) {
      const s = (e as StatusError).toStatus();
      expect(s.code).toBe(422);
      expect(s.reason).toBe("Invalid");
      expect(s.details?.kind).toBe("Deployment");
      expect(s.details?.group).toBe("apps");
      expect(s.details?.causes?.[0]).toEqual({ reason: "FieldValueInvalid", message: "Invalid value: -1: must be greater than or equal to 0", field: "spec.replicas" });
    }
  });

  it("has a behaviour for every served resource", () => {
    for (const rt of RESOURCE_TYPES) expect(behaviourOf(rt)).toBeTypeOf("object");
  });
});
