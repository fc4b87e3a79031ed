import { describe, expect, it } from "vitest";
import { RESOURCE_TYPES } from "../../src/resources/registry";
import { jsonFields } from "../../src/schema/json-forms";
import { schemaFor } from "../../src/schema/zod";

const DEPLOYMENT = "k8s.io.api.apps.v1.Deployment";

function sampleDeployment(): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { app: "web" } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      strategy: { rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "nginx",
              image: "nginx:1.27",
              ports: [{ containerPort: 8080 }],
              env: [{ name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
              resources: { limits: { cpu: 1, memory: "256Mi" } },
            },
          ],
        },
      },
    },
  };
}

describe("schemaFor", () => {
  it("builds a schema for every served kind and caches it", () => {
    for (const rt of RESOURCE_TYPES) expect(schemaFor(rt.message)).toBe(schemaFor(rt.message));
  });

  it("accepts a realistic Deployment and strips unknown keys", () => {
    const body = sampleDeployment() as any;
    body.spec.bogus = 1;
    const out = schemaFor(DEPLOYMENT).parse(body) as any;
    expect(out.spec.bogus).toBeUndefined();
    expect(out.spec.replicas).toBe(3);
    expect(out.spec.template.spec.containers[0].resources.limits).toEqual({ cpu: 1, memory: "256Mi" });
  });

  it("rejects wrong scalar types at their path", () => {
    const r = schemaFor(DEPLOYMENT).safeParse({ spec: { replicas: "3" } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(["spec", "replicas"]);
  });

  it("treats null for a field as absent", () => {
    const out = schemaFor(DEPLOYMENT).parse({ metadata: { name: "a", labels: null }, spec: null }) as Record<string, unknown>;
    expect(out.spec).toBeUndefined();
    expect((out.metadata as Record<string, unknown>).labels).toBeUndefined();
  });

  it("flattens inline members into the parent object", () => {
    // Volume inlines VolumeSource; ConfigMapVolumeSource inlines LocalObjectReference.
    const keys = jsonFields("k8s.io.api.core.v1.Volume").map((f) => f.key);
    expect(keys).toContain("configMap");
    expect(keys).not.toContain("volumeSource");
    const vol = schemaFor("k8s.io.api.core.v1.Volume").parse({ name: "v", configMap: { name: "cm" }, emptyDir: {} });
    expect(vol).toEqual({ name: "v", configMap: { name: "cm" }, emptyDir: {} });
  });

  it("knows the special JSON forms", () => {
    const port = schemaFor("k8s.io.api.core.v1.ServicePort");
    expect(port.safeParse({ port: 80, targetPort: "http" }).success).toBe(true);
    expect(port.safeParse({ port: 80, targetPort: 8080 }).success).toBe(true);
    expect(port.safeParse({ port: 80, targetPort: 1.5 }).success).toBe(false);
    expect(port.safeParse({ port: 80, targetPort: true }).success).toBe(false);

    const meta = schemaFor("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    expect(meta.safeParse({ creationTimestamp: "2024-01-01T00:00:00Z" }).success).toBe(true);
    expect(meta.safeParse({ creationTimestamp: "yesterday" }).success).toBe(false);
    expect(meta.safeParse({ managedFields: [{ fieldsV1: { "f:a": {} } }] }).success).toBe(true);

    const req = schemaFor("k8s.io.api.core.v1.ResourceRequirements");
    expect(req.safeParse({ limits: { cpu: "500m", memory: 1024 } }).success).toBe(true);
    expect(req.safeParse({ limits: { cpu: "lots" } }).success).toBe(false);

    const secret = schemaFor("k8s.io.api.core.v1.Secret");
    expect(secret.safeParse({ data: { a: "aGk=" } }).success).toBe(true);
    expect(secret.safeParse({ data: { a: "not base64!" } }).success).toBe(false);

    const hpa = schemaFor("k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler");
    expect(hpa.safeParse({ spec: { maxReplicas: 3, scaleTargetRef: { kind: "Deployment", name: "web" } } }).success).toBe(true);
  });

  it("accepts apiVersion and kind on top-level kinds only", () => {
    expect(jsonFields(DEPLOYMENT).slice(0, 2).map((f) => f.key)).toEqual(["apiVersion", "kind"]);
    expect(jsonFields("k8s.io.api.apps.v1.DeploymentSpec").map((f) => f.key)).not.toContain("apiVersion");
    expect(schemaFor(DEPLOYMENT).safeParse({ kind: 3 }).success).toBe(false);
  });

  it("reads a list wrapper message as a bare JSON list", () => {
    const user = schemaFor("k8s.io.api.authentication.v1.UserInfo");
    expect(user.safeParse({ extra: { scopes: ["a", "b"] } }).success).toBe(true);
    expect(user.safeParse({ extra: { scopes: { items: ["a"] } } }).success).toBe(false);
  });
});
