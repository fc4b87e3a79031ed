import { readFileSync } from "node:fs";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { StatusError } from "../../src/api/status";
import { decodeK8sProtobuf, decodeMessage, decodeValue, formatGoDuration, isK8sProtobuf } from "../../src/lib/protobuf/index";

const LEN = WireType.LengthDelimited;
const VARINT = WireType.Varint;

/** A body kubectl 1.32 sent to a recording server; see test/fixtures/protobuf/capture.mjs. */
function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../fixtures/protobuf/${name}.bin`, import.meta.url)));
}

/** Wraps an object's message bytes in the k8s\0 + runtime.Unknown envelope. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const w = new BinaryWriter().tag(1, LEN).fork();
  if (apiVersion) w.tag(1, LEN).string(apiVersion);
  if (kind) w.tag(2, LEN).string(kind);
  const unknown = w.join().tag(2, LEN).bytes(raw).finish();
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...unknown]);
}

/** ObjectMeta bytes with just a name. */
function meta(name: string): Uint8Array {
  return new BinaryWriter().tag(1, LEN).string(name).finish();
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return e as StatusError;
  }
  throw new Error("expected a StatusError");
}

describe("isK8sProtobuf", () => {
  it("recognises the k8s\\0 magic and nothing else", () => {
    expect(isK8sProtobuf(fixture("namespace"))).toBe(true);
    expect(isK8sProtobuf(new TextEncoder().encode('{"kind":"Namespace"}'))).toBe(false);
    expect(isK8sProtobuf(new Uint8Array([0x6b, 0x38, 0x73]))).toBe(false);
    expect(isK8sProtobuf(new Uint8Array([0x6b, 0x38, 0x73, 0x01, 0x0a]))).toBe(false);
  });
});

describe("decodeK8sProtobuf on bodies captured from kubectl 1.32", () => {
  it("create namespace", () => {
    expect(decodeK8sProtobuf(fixture("namespace"))).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "foo" },
      spec: {},
      status: {},
    });
  });

  it("create deployment: replicas, selector, template, container port; empty non-pointer structs kept", () => {
    expect(decodeK8sProtobuf(fixture("deployment"))).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", labels: { app: "web" } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "nginx", image: "nginx:1.27", ports: [{ containerPort: 8080 }], resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    });
  });

  it("keeps a pointer scalar set to zero (replicas: 0) but drops plain zeros (minReadySeconds, paused)", () => {
    const obj = decodeK8sProtobuf(fixture("deployment-zero")) as { spec: Record<string, unknown> };
    expect(obj.spec.replicas).toBe(0);
    expect(obj.spec).not.toHaveProperty("minReadySeconds");
    expect(obj.spec).not.toHaveProperty("paused");
    expect(obj.spec).not.toHaveProperty("revisionHistoryLimit");
  });

  it("create configmap: string map", () => {
    expect(decodeK8sProtobuf(fixture("configmap"))).toEqual({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { a: "b", c: "d" } });
  });

  it("create configmap --from-file with binary content: bytes map as base64", () => {
    expect(decodeK8sProtobuf(fixture("configmap-binary"))).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "bin" },
      binaryData: { blob: "/wAB/g==" },
    });
  });

  it("create secret generic: data as base64", () => {
    expect(decodeK8sProtobuf(fixture("secret"))).toEqual({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { k: "dg==" } });
  });

  it("create service clusterip: ports with an IntOrString targetPort", () => {
    expect(decodeK8sProtobuf(fixture("service"))).toEqual({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "svc", labels: { app: "svc" } },
      spec: { ports: [{ name: "80-8080", protocol: "TCP", port: 80, targetPort: 8080 }], selector: { app: "svc" }, type: "ClusterIP" },
      status: { loadBalancer: {} },
    });
  });

  it("create serviceaccount", () => {
    expect(decodeK8sProtobuf(fixture("serviceaccount"))).toEqual({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa" } });
  });

  it("create role and clusterrole: rules with the core group as an empty string element", () => {
    expect(decodeK8sProtobuf(fixture("role"))).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "r" },
      rules: [{ verbs: ["get"], apiGroups: [""], resources: ["pods"] }],
    });
    expect(decodeK8sProtobuf(fixture("clusterrole"))).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "cr" },
      rules: [{ verbs: ["get"], apiGroups: [""], resources: ["nodes"] }],
    });
  });

  it("create rolebinding: subjects and roleRef", () => {
    expect(decodeK8sProtobuf(fixture("rolebinding"))).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "rb" },
      subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "u" }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "r" },
    });
  });

  it("auth can-i: resourceAttributes; allowed has no omitempty so false is written", () => {
    expect(decodeK8sProtobuf(fixture("selfsubjectaccessreview"))).toEqual({
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      metadata: {},
      spec: { resourceAttributes: { namespace: "default", verb: "get", resource: "pods" } },
      status: { allowed: false },
    });
  });

  it("create token: empty spec, then audiences and an int64 expirationSeconds", () => {
    expect(decodeK8sProtobuf(fixture("tokenrequest"))).toEqual({
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      metadata: {},
      spec: {},
      status: { token: "" },
    });
    expect(decodeK8sProtobuf(fixture("tokenrequest-options"))).toMatchObject({
      spec: { audiences: ["a", "b"], expirationSeconds: 600 },
    });
  });

  it("autoscale: an autoscaling/v1 HPA", () => {
    expect(decodeK8sProtobuf(fixture("hpa"))).toEqual({
      apiVersion: "autoscaling/v1",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "web" },
      spec: {
        scaleTargetRef: { kind: "Deployment", name: "web", apiVersion: "apps/v1" },
        minReplicas: 1,
        maxReplicas: 3,
        targetCPUUtilizationPercentage: 50,
      },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    });
  });

  it("create quota: a map of Quantity strings", () => {
    expect(decodeK8sProtobuf(fixture("quota"))).toMatchObject({ kind: "ResourceQuota", spec: { hard: { cpu: "1500m", memory: "1Gi", pods: "2" } } });
  });

  it("create pdb: a string IntOrString", () => {
    expect(decodeK8sProtobuf(fixture("pdb"))).toMatchObject({
      apiVersion: "policy/v1",
      spec: { minAvailable: "50%", selector: { matchLabels: { app: "web" } } },
    });
  });

  it("create cronjob: nested job template with command and restartPolicy", () => {
    expect(decodeK8sProtobuf(fixture("cronjob"))).toMatchObject({
      apiVersion: "batch/v1",
      kind: "CronJob",
      spec: {
        schedule: "*/5 * * * *",
        jobTemplate: {
          metadata: { name: "cj" },
          spec: { template: { spec: { containers: [{ name: "cj", image: "busybox", command: ["date"] }], restartPolicy: "OnFailure" } } },
        },
      },
    });
  });
});

describe("decodeMessage: encodings the captured bodies do not cover", () => {
  it("Time in seconds, MicroTime in microseconds; a zero Time (no bytes) is left out", () => {
    const metaBytes = new BinaryWriter()
      .tag(1, LEN).string("ev")
      .tag(8, LEN).fork().tag(1, VARINT).int64(1767323045).join()
      .tag(9, LEN).bytes(new Uint8Array()) // deletionTimestamp: zero time
      .finish();
    const event = new BinaryWriter()
      .tag(1, LEN).bytes(metaBytes)
      .tag(6, LEN).fork().tag(1, VARINT).int64(0).tag(2, VARINT).int32(0).join() // explicit epoch
      .tag(10, LEN).fork().tag(1, VARINT).int64(1767323045).tag(2, VARINT).int32(123456789).join()
      .tag(8, VARINT).int32(0)
      .finish();
    expect(decodeMessage(event, "k8s.io.api.core.v1.Event")).toEqual({
      metadata: { name: "ev", creationTimestamp: "2026-01-02T03:04:05Z" },
      firstTimestamp: "1970-01-01T00:00:00Z",
      eventTime: "2026-01-02T03:04:05.123456Z",
    });
  });

  it("FieldsV1 and RawExtension become the embedded JSON", () => {
    const fields = new TextEncoder().encode('{"f:spec":{"f:replicas":{}}}');
    const mf = new BinaryWriter().tag(1, LEN).string("kubectl").tag(6, LEN).string("FieldsV1").tag(7, LEN).fork().tag(1, LEN).bytes(fields).join().finish();
    const cr = new BinaryWriter()
      .tag(1, LEN).fork().tag(1, LEN).string("rev").tag(17, LEN).bytes(mf).join()
      .tag(2, LEN).fork().tag(1, LEN).bytes(new TextEncoder().encode('{"spec":{"x":[1,2]}}')).join()
      .tag(3, VARINT).int64(7)
      .finish();
    expect(decodeMessage(cr, "k8s.io.api.apps.v1.ControllerRevision")).toEqual({
      metadata: { name: "rev", managedFields: [{ manager: "kubectl", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:replicas": {} } } }] },
      data: { spec: { x: [1, 2] } },
      revision: 7,
    });
  });

  it("a map whose values are ExtraValue messages gives plain string arrays", () => {
    const spec = new BinaryWriter()
      .tag(3, LEN).string("alice")
      .tag(4, LEN).string("g1")
      .tag(4, LEN).string("g2")
      .tag(5, LEN).fork().tag(1, LEN).string("scopes").tag(2, LEN).fork().tag(1, LEN).string("a").tag(1, LEN).string("b").join().join()
      .tag(5, LEN).fork().tag(1, LEN).string("empty").join()
      .finish();
    expect(decodeMessage(spec, "k8s.io.api.authorization.v1.SubjectAccessReviewSpec")).toEqual({
      user: "alice",
      groups: ["g1", "g2"],
      extra: { scopes: ["a", "b"], empty: [] },
    });
  });

  it("repeated scalars packed and unpacked, negative and large int64, pointer zeros", () => {
    const psc = new BinaryWriter()
      .tag(4, LEN).fork().int64(1000).int64(-5).int64(2 ** 40).join() // packed
      .tag(4, VARINT).int64(7) // unpacked, appended
      .tag(2, VARINT).int64(0) // runAsUser: *int64 set to 0 (root) must survive
      .tag(3, VARINT).bool(false) // runAsNonRoot: *bool false
      .finish();
    expect(decodeMessage(psc, "k8s.io.api.core.v1.PodSecurityContext")).toEqual({
      supplementalGroups: [1000, -5, 2 ** 40, 7],
      runAsUser: 0,
      runAsNonRoot: false,
    });
  });

  it("inline members merge into the parent (Volume.volumeSource, ConfigMapEnvSource.localObjectReference)", () => {
    const vol = new BinaryWriter().tag(1, LEN).string("scratch").tag(2, LEN).fork().tag(2, LEN).fork().tag(1, LEN).string("Memory").join().join().finish();
    expect(decodeMessage(vol, "k8s.io.api.core.v1.Volume")).toEqual({ name: "scratch", emptyDir: { medium: "Memory" } });
    const env = new BinaryWriter().tag(1, LEN).fork().tag(1, LEN).string("cm").join().tag(2, VARINT).bool(true).finish();
    expect(decodeMessage(env, "k8s.io.api.core.v1.ConfigMapEnvSource")).toEqual({ name: "cm", optional: true });
  });

  it("IntOrString: type 0 is a number (negative too), type 1 a string", () => {
    const port = (ios: BinaryWriter) => new BinaryWriter().tag(3, VARINT).int32(80).tag(4, LEN).bytes(ios.finish()).finish();
    const sp = "k8s.io.api.core.v1.ServicePort";
    expect(decodeMessage(port(new BinaryWriter().tag(1, VARINT).int64(0).tag(2, VARINT).int32(-3)), sp)).toEqual({ port: 80, targetPort: -3 });
    expect(decodeMessage(port(new BinaryWriter().tag(1, VARINT).int64(1).tag(3, LEN).string("http")), sp)).toEqual({ port: 80, targetPort: "http" });
  });

  it("skips unknown field numbers of every wire type", () => {
    const ns = new BinaryWriter()
      .tag(900, VARINT).int32(1)
      .tag(1, LEN).bytes(meta("foo"))
      .tag(901, LEN).string("ignored")
      .tag(902, WireType.Bit64).fixed64(1)
      .tag(903, WireType.Bit32).fixed32(1)
      .finish();
    expect(decodeMessage(ns, "k8s.io.api.core.v1.Namespace")).toEqual({ metadata: { name: "foo" } });
  });

  it("merges a singular message field that appears twice, as protobuf does", () => {
    const ns = new BinaryWriter()
      .tag(1, LEN).bytes(meta("foo"))
      .tag(1, LEN).fork().tag(11, LEN).fork().tag(1, LEN).string("k").tag(2, LEN).string("v").join().join()
      .finish();
    expect(decodeMessage(ns, "k8s.io.api.core.v1.Namespace")).toEqual({ metadata: { name: "foo", labels: { k: "v" } } });
  });

  it("Duration is Go's duration string", () => {
    const d = (ns: bigint) => decodeValue(new BinaryWriter().tag(1, VARINT).int64(ns).finish(), "k8s.io.apimachinery.pkg.apis.meta.v1.Duration");
    expect(d(90_000_000_000n)).toBe("1m30s");
    expect(d(0n)).toBe("0s");
    expect(formatGoDuration(3_723_500_000_000n)).toBe("1h2m3.5s");
    expect(formatGoDuration(1_500_000n)).toBe("1.5ms");
    expect(formatGoDuration(2_000n)).toBe("2\u00b5s");
    expect(formatGoDuration(999n)).toBe("999ns");
    expect(formatGoDuration(-5_000_000_000n)).toBe("-5s");
    expect(formatGoDuration(36_000_000_000_000n)).toBe("10h0m0s");
  });
});

describe("malformed input", () => {
  it("rejects an empty body, a missing magic and a bare magic with 400", () => {
    expect(statusOf(() => decodeK8sProtobuf(new Uint8Array())).code).toBe(400);
    expect(statusOf(() => decodeK8sProtobuf(new TextEncoder().encode('{"kind":"Namespace"}'))).code).toBe(400);
    expect(statusOf(() => decodeK8sProtobuf(new Uint8Array([0x6b, 0x38, 0x73, 0x00]))).code).toBe(400);
  });

  it("rejects a body cut inside the object's message with 400", () => {
    const body = fixture("deployment");
    // The last four bytes are the empty contentEncoding and contentType fields, so cutting
    // five bytes off lands inside raw.
    for (const cut of [10, 30, 100, body.length - 5]) {
      const e = statusOf(() => decodeK8sProtobuf(body.subarray(0, cut)));
      expect(e.code).toBe(400);
      expect(e.reason).toBe("BadRequest");
    }
  });

  it("never throws anything but a 400 StatusError for truncations or flipped bytes", () => {
    const body = fixture("deployment");
    const outcomes = new Set<string>();
    const attempt = (bytes: Uint8Array) => {
      try {
        decodeK8sProtobuf(bytes);
        outcomes.add("ok");
      } catch (e) {
        expect(e).toBeInstanceOf(StatusError);
        expect((e as StatusError).code).toBe(400);
        outcomes.add("400");
      }
    };
    for (let cut = 0; cut < body.length; cut++) attempt(body.subarray(0, cut));
    for (let i = 4; i < body.length; i++) {
      for (const v of [0x00, 0xff, 0x7f, 0x80]) {
        const bad = body.slice();
        bad[i] = v;
        attempt(bad);
      }
    }
    expect(outcomes.has("400")).toBe(true);
  });

  it("rejects an unknown kind, and a kind or apiVersion missing without defaults, with 400", () => {
    const unknown = statusOf(() => decodeK8sProtobuf(envelope("v1", "Widget", meta("w"))));
    expect(unknown.code).toBe(400);
    expect(unknown.message).toContain('"Widget"');
    expect(statusOf(() => decodeK8sProtobuf(envelope("v9", "Namespace", meta("w")))).code).toBe(400);
    expect(statusOf(() => decodeK8sProtobuf(envelope("v1", "", meta("w")))).code).toBe(400);
    expect(statusOf(() => decodeK8sProtobuf(envelope("", "Namespace", meta("w")))).code).toBe(400);
  });

  it("fills a missing apiVersion or kind from the caller's defaults", () => {
    const raw = new BinaryWriter().tag(1, LEN).bytes(meta("foo")).finish();
    expect(decodeK8sProtobuf(envelope("", "", raw), { apiVersion: "v1", kind: "Namespace" })).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "foo" },
    });
  });

  it("rejects a field sent with the wrong wire type with 400", () => {
    const raw = new BinaryWriter().tag(1, VARINT).int32(5).finish(); // metadata must be length-delimited
    const e = statusOf(() => decodeK8sProtobuf(envelope("v1", "Namespace", raw)));
    expect(e.code).toBe(400);
    expect(e.message).toContain("Namespace");
  });

  it("rejects invalid embedded JSON in a RawExtension with 400", () => {
    const cr = new BinaryWriter().tag(2, LEN).fork().tag(1, LEN).bytes(new TextEncoder().encode("{nope")).join().finish();
    expect(statusOf(() => decodeMessage(cr, "k8s.io.api.apps.v1.ControllerRevision")).code).toBe(400);
  });
});
