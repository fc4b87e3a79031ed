import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { decodeObject, type FieldValidation } from "../../src/schema/decode";

const DEPLOYMENT = "k8s.io.api.apps.v1.Deployment";
const DEPLOY_KIND = { kind: "Deployment", version: "v1" };
const PREFIX = 'Deployment in version "v1" cannot be handled as a Deployment: ';

/** A realistic Deployment manifest, as kubectl apply sends it. */
function sampleDeployment(): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "default",
      labels: { app: "web", tier: "frontend" },
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"apps/v1"}\n' },
    },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: "web", tier: "frontend" } },
        spec: {
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: "nginx",
              image: "nginx:1.27",
              imagePullPolicy: "IfNotPresent",
              args: ["--port", "8080"],
              ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }],
              env: [
                { name: "MODE", value: "prod" },
                { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: 1, memory: "256Mi" } },
              readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
              volumeMounts: [{ name: "cfg", mountPath: "/etc/cfg", readOnly: true }],
            },
          ],
          volumes: [{ name: "cfg", configMap: { name: "web-cfg", items: [{ key: "a", path: "a.conf" }] } }],
          tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule" }],
        },
      },
    },
  };
}

function decode(body: unknown, mode: FieldValidation = "Strict") {
  return decodeObject(DEPLOYMENT, DEPLOY_KIND, body, mode);
}

function failure(body: unknown, mode: FieldValidation = "Strict"): StatusError {
  try {
    decode(body, mode);
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return e as StatusError;
  }
  throw new Error("expected decodeObject to throw");
}

describe("decodeObject", () => {
  it("accepts a valid manifest unchanged, including inline members and special forms", () => {
    const body = sampleDeployment();
    const { object, warnings } = decode(body);
    expect(warnings).toEqual([]);
    // The only rewrite is the numeric quantity, which comes back as a string.
    const expected = sampleDeployment() as { spec: { template: { spec: { containers: { resources: { limits: Record<string, unknown> } }[] } } } };
    expected.spec.template.spec.containers[0].resources.limits.cpu = "1";
    expect(object).toEqual(expected);
  });

  it("rejects unknown fields in Strict mode with every path in document order, array indices included", () => {
    const body = sampleDeployment() as any;
    body.spec.foo = 1;
    body.spec.template.spec.containers[0].bar = true;
    body.metadata.app = "x";
    const e = failure(body);
    expect(e.code).toBe(400);
    expect(e.reason).toBe("BadRequest");
    expect(e.message).toBe(
      `${PREFIX}strict decoding error: unknown field "metadata.app", unknown field "spec.template.spec.containers[0].bar", unknown field "spec.foo"`,
    );
  });

  it("turns unknown fields into warnings in Warn mode and prunes them", () => {
    const body = sampleDeployment() as any;
    body.spec.foo = 1;
    body.spec.template.spec.volumes[0].configMap.nope = "x";
    const { object, warnings } = decode(body, "Warn");
    expect(warnings).toEqual(['unknown field "spec.template.spec.volumes[0].configMap.nope"', 'unknown field "spec.foo"']);
    expect((object as any).spec.foo).toBeUndefined();
    expect((object as any).spec.template.spec.volumes[0].configMap).toEqual({ name: "web-cfg", items: [{ key: "a", path: "a.conf" }] });
  });

  it("prunes unknown fields silently in Ignore mode", () => {
    const { object, warnings } = decode({ spec: { replicas: 1, bogus: 2 }, extra: {} }, "Ignore");
    expect(warnings).toEqual([]);
    expect(object).toEqual({ spec: { replicas: 1 } });
  });

  it("does not mutate the input body", () => {
    const body = { spec: { replicas: 1, bogus: 2 } };
    decode(body, "Ignore");
    expect(body).toEqual({ spec: { replicas: 1, bogus: 2 } });
  });

  it("reports a wrong scalar type with the Go struct field and type, in every mode", () => {
    for (const mode of ["Strict", "Warn", "Ignore"] as const) {
      expect(failure({ spec: { replicas: "3" } }, mode).message).toBe(
        `${PREFIX}json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`,
      );
    }
  });

  it("names nested structs, leaves array indices out of the Go path and shows non-integral numbers", () => {
    expect(failure({ spec: { template: { spec: { containers: [{ name: "a", image: 5 }] } } } }).message).toBe(
      `${PREFIX}json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string`,
    );
    expect(failure({ spec: { replicas: 1.5 } }).message).toBe(
      `${PREFIX}json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32`,
    );
    expect(failure({ spec: { replicas: 2 ** 31 } }).message).toContain(`number ${2 ** 31} into Go struct field DeploymentSpec.spec.replicas of type int32`);
  });

  it("names Go collection and struct types for wrong containers", () => {
    expect(failure({ spec: { template: { spec: { containers: "nginx" } } } }).message).toBe(
      `${PREFIX}json: cannot unmarshal string into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container`,
    );
    expect(failure({ spec: "x" }).message).toBe(`${PREFIX}json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec`);
    expect(failure({ metadata: { labels: ["a"] } }).message).toBe(
      `${PREFIX}json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string`,
    );
    expect(failure({ metadata: { labels: { a: 1 } } }).message).toBe(
      `${PREFIX}json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels.a of type string`,
    );
  });

  it("prefers a type error over unknown fields, as upstream does", () => {
    expect(failure({ spec: { foo: 1, replicas: true } }).message).toContain("cannot unmarshal bool into Go struct field DeploymentSpec.spec.replicas");
  });

  it("rejects a body that is not an object", () => {
    expect(failure([1]).message).toBe(`${PREFIX}json: cannot unmarshal array into Go value of type v1.Deployment`);
  });

  it("treats null as absent and nulls in lists as zero values", () => {
    const { object } = decode({ metadata: { name: "a", labels: null }, spec: { replicas: null, template: { spec: { containers: [null] } } } });
    expect(object).toEqual({ metadata: { name: "a" }, spec: { template: { spec: { containers: [{}] } } } });
  });

  it("accepts apiVersion and kind only as strings", () => {
    expect(decode({ apiVersion: "apps/v1", kind: "Deployment" }).object).toEqual({ apiVersion: "apps/v1", kind: "Deployment" });
    expect(failure({ kind: 1 }).message).toContain("cannot unmarshal number into Go struct field Deployment.kind of type string");
  });

  it("checks int-or-string values", () => {
    const ok = decode({ spec: { strategy: { rollingUpdate: { maxSurge: 2, maxUnavailable: "10%" } } } });
    expect((ok.object as any).spec.strategy.rollingUpdate).toEqual({ maxSurge: 2, maxUnavailable: "10%" });
    expect(failure({ spec: { strategy: { rollingUpdate: { maxSurge: true } } } }).message).toBe(
      `${PREFIX}json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32`,
    );
  });

  it("checks quantities with upstream's texts and accepts numbers", () => {
    const c = (resources: unknown) => ({ spec: { template: { spec: { containers: [{ name: "a", resources }] } } } });
    expect((decode(c({ limits: { cpu: 0.5, memory: "1Gi" } })).object as any).spec.template.spec.containers[0].resources.limits).toEqual({ cpu: "0.5", memory: "1Gi" });
    expect(failure(c({ limits: { cpu: "lots" } })).message).toBe(
      `${PREFIX}quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
    expect(failure(c({ limits: { memory: "1Mk" } })).message).toBe(`${PREFIX}unable to parse quantity's suffix`);
  });

  it("normalises times to UTC and rejects malformed ones", () => {
    const { object } = decode({ metadata: { creationTimestamp: "2024-03-01T01:30:00.123+02:00" } });
    expect((object as any).metadata.creationTimestamp).toBe("2024-02-29T23:30:00Z");
    expect(failure({ metadata: { creationTimestamp: "yesterday" } }).message).toBe(
      `${PREFIX}parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`,
    );
    expect(failure({ metadata: { creationTimestamp: "2023-02-29T00:00:00Z" } }).message).toContain("day out of range");
  });

  it("keeps microsecond times at six fraction digits", () => {
    const lease = decodeObject("k8s.io.api.coordination.v1.Lease", { kind: "Lease", version: "v1" }, { spec: { renewTime: "2024-01-01T00:00:00.5Z" } }, "Strict");
    expect((lease.object as any).spec.renewTime).toBe("2024-01-01T00:00:00.500000Z");
  });

  it("passes raw extensions and managed fields through untouched", () => {
    const fieldsV1 = { "f:spec": { "f:replicas": {} } };
    const { object } = decode({ metadata: { managedFields: [{ manager: "kubectl", operation: "Apply", fieldsType: "FieldsV1", fieldsV1 }] } });
    expect((object as any).metadata.managedFields[0].fieldsV1).toEqual(fieldsV1);
  });

  it("checks base64 bytes", () => {
    const secret = (data: unknown) => decodeObject("k8s.io.api.core.v1.Secret", { kind: "Secret", version: "v1" }, { data }, "Strict");
    expect(secret({ a: "aGVsbG8=" }).object).toEqual({ data: { a: "aGVsbG8=" } });
    expect(() => secret({ a: "not base64!" })).toThrow(/illegal base64 data at input byte/);
  });

  it("keeps a __proto__ map key as data", () => {
    const body = JSON.parse('{"metadata":{"labels":{"__proto__":"x","a":"b"}}}');
    const labels = (decode(body).object as any).metadata.labels;
    expect(Object.keys(labels)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });

  it("deduplicates and caps unknown-field reports", () => {
    const body = { metadata: Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x${i}`, 1])) };
    expect(decode(body, "Warn").warnings).toHaveLength(100);
  });

  it("decodes a realistic Deployment in well under a millisecond", () => {
    const body = sampleDeployment();
    for (let i = 0; i < 2000; i++) decode(body);
    const n = 5000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) decode(body);
    const perCall = (performance.now() - t0) / n;
    console.log(`decodeObject(Deployment): ${(perCall * 1000).toFixed(1)} µs per call`);
    expect(perCall).toBeLessThan(0.5);
  });
});
