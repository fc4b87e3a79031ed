import { describe, expect, it } from "vitest";
import { attributesOf } from "../../src/auth/request-attributes";

const u = (p: string) => new URL(`https://cluster.example${p}`);

describe("attributesOf", () => {
  it.each([
    // method, path, verb, group, version, resource, subresource, namespace, name
    ["GET", "/api/v1/namespaces/a/pods/web", "get", "", "v1", "pods", "", "a", "web"],
    ["HEAD", "/api/v1/namespaces/a/pods/web", "get", "", "v1", "pods", "", "a", "web"],
    ["GET", "/api/v1/namespaces/a/pods", "list", "", "v1", "pods", "", "a", ""],
    ["GET", "/api/v1/pods", "list", "", "v1", "pods", "", "", ""],
    ["GET", "/api/v1/namespaces/a/pods?watch=true", "watch", "", "v1", "pods", "", "a", ""],
    ["GET", "/api/v1/namespaces/a/pods?watch=1", "watch", "", "v1", "pods", "", "a", ""],
    ["GET", "/api/v1/namespaces/a/pods?watch=false", "list", "", "v1", "pods", "", "a", ""],
    ["GET", "/api/v1/namespaces/a/pods?watch=0", "list", "", "v1", "pods", "", "a", ""],
    ["GET", "/api/v1/namespaces/a/pods?watch=true&fieldSelector=metadata.name%3Dweb", "watch", "", "v1", "pods", "", "a", "web"],
    ["GET", "/api/v1/namespaces/a/pods?fieldSelector=metadata.name%3D%3Dweb", "list", "", "v1", "pods", "", "a", "web"],
    ["GET", "/api/v1/namespaces/a/pods?fieldSelector=metadata.name!%3Dweb", "list", "", "v1", "pods", "", "a", ""],
    ["GET", "/api/v1/namespaces/a/pods/web?watch=true", "get", "", "v1", "pods", "", "a", "web"],
    ["GET", "/api/v1/watch/namespaces/a/pods", "watch", "", "v1", "pods", "", "a", ""],
    ["GET", "/api/v1/watch/namespaces/a/pods/web", "watch", "", "v1", "pods", "", "a", "web"],
    ["POST", "/api/v1/namespaces/a/pods", "create", "", "v1", "pods", "", "a", ""],
    ["PUT", "/api/v1/namespaces/a/pods/web", "update", "", "v1", "pods", "", "a", "web"],
    ["PATCH", "/api/v1/namespaces/a/pods/web", "patch", "", "v1", "pods", "", "a", "web"],
    ["DELETE", "/api/v1/namespaces/a/pods/web", "delete", "", "v1", "pods", "", "a", "web"],
    ["DELETE", "/api/v1/namespaces/a/pods", "deletecollection", "", "v1", "pods", "", "a", ""],
    ["GET", "/api/v1/namespaces/a/pods/web/log", "get", "", "v1", "pods", "log", "a", "web"],
    ["POST", "/api/v1/namespaces/a/pods/web/exec?command=ls", "create", "", "v1", "pods", "exec", "a", "web"],
    ["PUT", "/api/v1/namespaces/a/pods/web/status", "update", "", "v1", "pods", "status", "a", "web"],
    ["PATCH", "/apis/apps/v1/namespaces/a/deployments/web/scale", "patch", "apps", "v1", "deployments", "scale", "a", "web"],
    ["GET", "/apis/apps/v1/deployments", "list", "apps", "v1", "deployments", "", "", ""],
    ["GET", "/api/v1/nodes/n1", "get", "", "v1", "nodes", "", "", "n1"],
    ["PATCH", "/api/v1/nodes/n1/status", "patch", "", "v1", "nodes", "status", "", "n1"],
    // A Namespace is addressed inside itself.
    ["GET", "/api/v1/namespaces/a", "get", "", "v1", "namespaces", "", "a", "a"],
    ["GET", "/api/v1/namespaces", "list", "", "v1", "namespaces", "", "", ""],
    ["PUT", "/api/v1/namespaces/a/finalize", "update", "", "v1", "namespaces", "finalize", "a", "a"],
    ["PUT", "/api/v1/namespaces/a/status", "update", "", "v1", "namespaces", "status", "a", "a"],
    ["DELETE", "/api/v1/namespaces/a", "delete", "", "v1", "namespaces", "", "a", "a"],
    ["GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1", "get", "coordination.k8s.io", "v1", "leases", "", "kube-node-lease", "n1"],
  ])("%s %s", (method, path, verb, apiGroup, apiVersion, resource, subresource, namespace, name) => {
    expect(attributesOf(method, u(path))).toMatchObject({ verb, apiGroup, apiVersion, resource, subresource, namespace, name, resourceRequest: true, path: u(path).pathname });
  });

  it.each([
    ["GET", "/version", "get"],
    ["GET", "/healthz", "get"],
    ["GET", "/api", "get"],
    ["GET", "/api/v1", "get"],
    ["GET", "/apis", "get"],
    ["GET", "/apis/apps", "get"],
    ["GET", "/apis/apps/v1", "get"],
    ["GET", "/openapi/v2", "get"],
    ["GET", "/openapi/v3/apis/apps/v1", "get"],
    ["POST", "/metrics", "post"],
  ])("non-resource %s %s", (method, path, verb) => {
    expect(attributesOf(method, u(path))).toMatchObject({ verb, resourceRequest: false, path, resource: "", namespace: "", name: "" });
  });

  it("keeps fieldSelector terms for list and watch", () => {
    const a = attributesOf("GET", u("/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dn1,status.phase!%3DFailed"));
    expect(a.fieldSelector).toEqual([
      { field: "spec.nodeName", op: "=", value: "n1" },
      { field: "status.phase", op: "!=", value: "Failed" },
    ]);
  });

  it("lets a resolved path win and puts a Namespace in itself", () => {
    expect(attributesOf("GET", u("/api/v1/namespaces/a"), { group: "", version: "v1", resource: "namespaces", name: "a" })).toMatchObject({ namespace: "a", name: "a", verb: "get" });
    expect(attributesOf("GET", u("/apis/apps/v1/namespaces/a/deployments"), { group: "apps", version: "v1", resource: "deployments", namespace: "a" })).toMatchObject({ verb: "list", namespace: "a", resource: "deployments", apiGroup: "apps" });
  });
});
