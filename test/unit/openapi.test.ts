import { describe, expect, it } from "vitest";
import { RESOURCE_TYPES, apiVersionOf } from "../../src/resources/registry";
import { contentHash, openapiV3Document, openapiV3Index } from "../../src/schema/openapi";
import { openapiName } from "../../src/schema/openapi-schemas";

type Schema = Record<string, any>;
const index = () => openapiV3Index() as { paths: Record<string, { serverRelativeURL: string }> };
const doc = (p: string) => openapiV3Document(p) as Schema;
const gvPath = (rt: (typeof RESOURCE_TYPES)[number]) => (rt.group ? `apis/${rt.group}/${rt.version}` : `api/${rt.version}`);

describe("openapiV3Index", () => {
  it("lists every served group/version plus the discovery roots, each with a hashed URL", () => {
    const { paths } = index();
    for (const rt of RESOURCE_TYPES) expect(paths[gvPath(rt)], apiVersionOf(rt)).toBeDefined();
    for (const p of ["api", "apis", "apis/apps", "apis/rbac.authorization.k8s.io"]) expect(paths[p]).toBeDefined();
    for (const [p, { serverRelativeURL }] of Object.entries(paths)) {
      expect(serverRelativeURL).toMatch(new RegExp(`^/openapi/v3/${p.replace(/\./g, "\\.")}\\?hash=[0-9A-F]{32}$`));
    }
  });

  it("hashes content deterministically", () => {
    expect(index()).toEqual(index());
    const hash = index().paths["apis/apps/v1"].serverRelativeURL.split("hash=")[1];
    expect(hash).toBe(contentHash(JSON.stringify(doc("apis/apps/v1"))));
    expect(contentHash("a")).not.toBe(contentHash("b"));
  });
});

describe("openapiV3Document", () => {
  it("answers undefined for unknown paths and tolerates slashes", () => {
    expect(openapiV3Document("apis/nope/v1")).toBeUndefined();
    expect(openapiV3Document("/apis/apps/v1/")).toBe(openapiV3Document("apis/apps/v1"));
  });

  it("names schemas as upstream and tags top-level kinds with their GVK", () => {
    const s = doc("apis/apps/v1").components.schemas;
    expect(s["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", kind: "Deployment", version: "v1" }]);
    expect(s["io.k8s.api.apps.v1.DeploymentList"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", kind: "DeploymentList", version: "v1" }]);
    expect(s["io.k8s.api.autoscaling.v1.Scale"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "autoscaling", kind: "Scale", version: "v1" }]);
    expect(s["io.k8s.api.apps.v1.Deployment"].properties.apiVersion).toEqual({ type: "string" });
    expect(s["io.k8s.api.apps.v1.Deployment"].properties.metadata).toEqual({ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" });
    expect(s["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]).toBeDefined();
    expect(s["io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"]["x-kubernetes-group-version-kind"]).toContainEqual({ group: "apps", kind: "DeleteOptions", version: "v1" });
    expect(doc("api/v1").components.schemas["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "", kind: "Pod", version: "v1" }]);
  });

  it("has a schema for every message any $ref points to", () => {
    for (const p of Object.keys(index().paths)) {
      const d = doc(p);
      const refs = JSON.stringify(d).match(/#\/components\/schemas\/[^"]+/g) ?? [];
      for (const r of new Set(refs)) expect(d.components.schemas[r.slice("#/components/schemas/".length)], `${p}: ${r}`).toBeDefined();
    }
  });

  it("publishes scalar formats, special forms, maps and required fields", () => {
    const s = doc("apis/apps/v1").components.schemas;
    const spec = s["io.k8s.api.apps.v1.DeploymentSpec"];
    expect(spec.properties.replicas).toEqual({ type: "integer", format: "int32" });
    expect(spec.properties.paused).toEqual({ type: "boolean" });
    expect(spec.required).toEqual(expect.arrayContaining(["selector", "template"]));
    expect(spec.required).not.toContain("replicas");
    expect(s["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]).toEqual({ format: "int-or-string", oneOf: [{ type: "integer" }, { type: "string" }] });
    expect(s["io.k8s.apimachinery.pkg.api.resource.Quantity"]).toEqual({ oneOf: [{ type: "string" }, { type: "number" }] });
    expect(s["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]).toEqual({ type: "string", format: "date-time" });
    expect(s["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].properties.labels).toEqual({ type: "object", additionalProperties: { type: "string" } });
    expect(s["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"].properties.generation).toEqual({ type: "integer", format: "int64" });
    expect(s["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"]["x-kubernetes-map-type"]).toBe("atomic");
    expect(doc("api/v1").components.schemas["io.k8s.api.core.v1.Secret"].properties.data.additionalProperties).toEqual({ type: "string", format: "byte" });
  });

  it("publishes list and patch markers as upstream's extensions", () => {
    const s = doc("api/v1").components.schemas;
    const podSpec = s["io.k8s.api.core.v1.PodSpec"].properties;
    expect(podSpec.containers).toMatchObject({
      type: "array",
      items: { $ref: "#/components/schemas/io.k8s.api.core.v1.Container" },
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["name"],
      "x-kubernetes-patch-merge-key": "name",
      "x-kubernetes-patch-strategy": "merge",
    });
    expect(s["io.k8s.api.core.v1.Container"].properties.ports["x-kubernetes-list-map-keys"]).toEqual(["containerPort", "protocol"]);
    expect(s["io.k8s.api.core.v1.ContainerPort"].properties.protocol).toEqual({ type: "string", default: "TCP" });
    expect(doc("apis/apps/v1").components.schemas["io.k8s.api.apps.v1.DeploymentSpec"].properties.strategy).toEqual({
      allOf: [{ $ref: "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy" }],
      "x-kubernetes-patch-strategy": "retainKeys",
    });
  });

  it("offers only create on review kinds", () => {
    for (const rt of RESOURCE_TYPES.filter((r) => r.virtual)) {
      const d = doc(gvPath(rt));
      expect(Object.keys(d.paths[`/${gvPath(rt)}/${rt.resource}`]).filter((k) => k !== "parameters")).toEqual(["post"]);
    }
  });

  it("has collection and item paths with the operations kubectl needs", () => {
    for (const rt of RESOURCE_TYPES.filter((r) => !r.virtual)) {
      const d = doc(gvPath(rt));
      const prefix = `/${gvPath(rt)}${rt.namespaced ? "/namespaces/{namespace}" : ""}/${rt.resource}`;
      const collection = d.paths[prefix];
      const item = d.paths[`${prefix}/{name}`];
      expect(Object.keys(collection), prefix).toEqual(expect.arrayContaining(["get", "post", "delete"]));
      expect(Object.keys(item), prefix).toEqual(expect.arrayContaining(["get", "put", "patch", "delete"]));
      const gvk = { group: rt.group, kind: rt.kind, version: rt.version };
      expect(item.patch["x-kubernetes-group-version-kind"]).toEqual(gvk);
      expect(item.patch.parameters.map((p: Schema) => p.name)).toEqual(expect.arrayContaining(["fieldValidation", "fieldManager", "dryRun", "force"]));
      expect(Object.keys(item.patch.requestBody.content).sort()).toEqual([
        "application/apply-patch+yaml",
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
      ]);
      expect(item.get.responses["200"].content["application/json"].schema.$ref).toBe(`#/components/schemas/${openapiName(rt.message)}`);
      expect(d.components.schemas[openapiName(rt.message)]["x-kubernetes-group-version-kind"]).toContainEqual(gvk);
    }
  });

  it("has subresource paths tagged with the kind they answer", () => {
    const p = doc("apis/apps/v1").paths;
    const scale = p["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    expect(scale.patch["x-kubernetes-group-version-kind"]).toEqual({ group: "autoscaling", kind: "Scale", version: "v1" });
    expect(scale.put.operationId).toBe("replaceAppsV1NamespacedDeploymentScale");
    expect(p["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"].get.operationId).toBe("readAppsV1NamespacedDeploymentStatus");
    expect(p["/apis/apps/v1/deployments"].get.operationId).toBe("listAppsV1DeploymentForAllNamespaces");
    expect(doc("api/v1").paths["/api/v1/nodes/{name}"].patch.operationId).toBe("patchCoreV1Node");
  });
});
