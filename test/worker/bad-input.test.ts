import { beforeAll, describe, expect, it } from "vitest";
import { configMap, deployment, json, type Call } from "./helpers";

/**
 * Bad input must come back as the Kubernetes Status kube-apiserver would send, and must leave
 * the cluster exactly as it was. Every request here goes through `call`, which also holds the
 * server to never answering a client's mistake with a 5xx.
 */

const NS = "bad-input";
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const DEPLOY = `/apis/apps/v1/namespaces/${NS}/deployments`;
const NAMESPACES = "/api/v1/namespaces";
const MERGE = "application/merge-patch+json";

type Reply = Awaited<ReturnType<typeof json>>;

async function call(path: string, c: Call = {}): Promise<Reply> {
  const r = await json(path, c);
  expect(r.status, `${c.method ?? (c.body !== undefined || c.raw !== undefined ? "POST" : "GET")} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`).toBeLessThan(500);
  return r;
}

/**
 * The collections a bad request could touch: every item's name@rv. (The list's own
 * resourceVersion is the cluster's revision, which the controllers move; for Deployments, whose
 * status the controllers keep writing, the spec and its generation stand in for the rv.)
 */
async function snapshot(): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const path of [CM, DEPLOY, NAMESPACES]) {
    const r = await call(path);
    expect(r.status).toBe(200);
    out[path] = r.body.items
      .map((i: any) => (path === DEPLOY ? `${i.metadata.name}@${i.metadata.generation}:${JSON.stringify(i.spec)}` : `${i.metadata.name}@${i.metadata.resourceVersion}`))
      .sort();
  }
  return out;
}

/** Sends a request that must fail with `code`/`reason` and change nothing. */
async function rejected(path: string, c: Call, code: number, reason: string): Promise<Reply> {
  const before = await snapshot();
  const r = await call(path, c);
  expect(r.status, JSON.stringify(r.body)).toBe(code);
  expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  expect(r.body).toMatchObject({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason, code });
  expect(typeof r.body.message).toBe("string");
  expect(await snapshot()).toEqual(before);
  return r;
}

function withSpecFoo(name: string) {
  const d: any = deployment(name);
  d.spec.foo = "bar";
  return d;
}

beforeAll(async () => {
  expect((await call(NAMESPACES, { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } } })).status).toBe(201);
  expect((await call(CM, { body: configMap("steady", NS, { a: "1" }) })).status).toBe(201);
  expect((await call(DEPLOY, { body: deployment("steady") })).status).toBe(201);
});

describe("undecodable bodies", () => {
  it("refuses malformed JSON", async () => {
    const r = await rejected(CM, { body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"half"', contentType: "application/json" }, 400, "BadRequest");
    expect(r.body.message).toMatch(/json/i);
  });

  it("refuses malformed YAML but accepts well-formed YAML", async () => {
    const broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\ndata:\n  a: '1'\n";
    const r = await rejected(CM, { body: broken, contentType: "application/yaml" }, 400, "BadRequest");
    expect(r.body.message).toMatch(/yaml/i);
    const ok = await call(CM, { body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: '1'\n", contentType: "application/yaml" });
    expect(ok.status).toBe(201);
    expect(ok.body.data).toEqual({ a: "1" });
  });

  it("refuses a JSON array, a string, a number and null as the object", async () => {
    for (const body of [`[${JSON.stringify(configMap("in-array", NS))}]`, '"just a string"', "42", "null"]) {
      await rejected(CM, { body, contentType: "application/json" }, 400, "BadRequest");
    }
  });

  it("refuses an empty body", async () => {
    await rejected(CM, { method: "POST", raw: "", contentType: "application/json" }, 400, "BadRequest");
  });

  it("refuses protobuf content that is not a Kubernetes protobuf message", async () => {
    const garbage = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0xff, 0xfe]);
    await rejected(CM, { raw: garbage, contentType: "application/vnd.kubernetes.protobuf" }, 400, "BadRequest");
    // The right magic prefix followed by junk is no better.
    const prefixed = new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12]);
    await rejected(CM, { raw: prefixed, contentType: "application/vnd.kubernetes.protobuf" }, 400, "BadRequest");
  });
});

describe("type information in the body", () => {
  it("refuses an apiVersion the endpoint does not serve", async () => {
    const r = await rejected(CM, { body: { ...configMap("wrong-version", NS), apiVersion: "apps/v1" } }, 400, "BadRequest");
    expect(r.body.message).toContain("apps/v1");
  });

  it("refuses a kind that is not the endpoint's kind", async () => {
    const r = await rejected(CM, { body: { ...configMap("wrong-kind", NS), kind: "Secret" } }, 400, "BadRequest");
    expect(r.body.message).toContain("Secret");
    await rejected(DEPLOY, { body: { ...deployment("wrong-kind"), kind: "StatefulSet" } }, 400, "BadRequest");
  });

  it("fills a missing kind (and apiVersion) from the URL", async () => {
    const noKind = await call(CM, { body: { apiVersion: "v1", metadata: { name: "no-kind" }, data: { a: "1" } } });
    expect(noKind.status).toBe(201);
    expect(noKind.body).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "no-kind", namespace: NS } });
    const noType = await call(CM, { body: { metadata: { name: "no-type" }, data: { a: "1" } } });
    expect(noType.status).toBe(201);
    const stored = await call(`${CM}/no-type`);
    expect(stored.body).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", data: { a: "1" } });
  });
});

describe("object names", () => {
  const SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

  for (const name of ["BadName", "bad_name"]) {
    it(`refuses the name ${JSON.stringify(name)} with 422 and a metadata.name cause`, async () => {
      const r = await rejected(CM, { body: configMap(name, NS) }, 422, "Invalid");
      expect(r.body.details).toMatchObject({ name, group: "", kind: "ConfigMap" });
      expect(r.body.details.causes).toContainEqual(expect.objectContaining({ reason: "FieldValueInvalid", field: "metadata.name" }));
      expect(r.body.message).toContain(`ConfigMap "${name}" is invalid: metadata.name: Invalid value: "${name}": ${SUBDOMAIN}`);
    });
  }

  it("refuses names longer than 253 characters", async () => {
    const name = "a".repeat(254);
    const r = await rejected(CM, { body: configMap(name, NS) }, 422, "Invalid");
    expect(r.body.details.causes).toContainEqual(expect.objectContaining({ field: "metadata.name" }));
    expect(r.body.message).toContain("must be no more than 253 characters");
    // 253 is still fine.
    expect((await call(CM, { body: configMap("b".repeat(253), NS) })).status).toBe(201);
  });

  it("refuses namespace names that are not RFC 1123 labels (uppercase, dots, over 63 characters)", async () => {
    for (const name of ["Upper", "has.dot", "n".repeat(64)]) {
      const r = await rejected(NAMESPACES, { body: { apiVersion: "v1", kind: "Namespace", metadata: { name } } }, 422, "Invalid");
      expect(r.body.details).toMatchObject({ name, kind: "Namespace" });
      expect(r.body.details.causes).toContainEqual(expect.objectContaining({ reason: "FieldValueInvalid", field: "metadata.name" }));
    }
    const long = await rejected(NAMESPACES, { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "n".repeat(64) } } }, 422, "Invalid");
    expect(long.body.message).toContain("must be no more than 63 characters");
  });

  it("refuses an invalid generateName with a metadata.generateName cause", async () => {
    for (const generateName of ["Bad-", "bad_"]) {
      const r = await rejected(CM, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { generateName } } }, 422, "Invalid");
      expect(r.body.details.kind).toBe("ConfigMap");
      expect(r.body.details.causes).toContainEqual(expect.objectContaining({ reason: "FieldValueInvalid", field: "metadata.generateName" }));
    }
  });

  it("refuses an object with neither name nor generateName", async () => {
    const r = await rejected(CM, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: {} } }, 422, "Invalid");
    expect(r.body.details.causes).toContainEqual(expect.objectContaining({ reason: "FieldValueRequired", field: "metadata.name" }));
  });
});

describe("fieldValidation and unknown fields", () => {
  it("Strict refuses an unknown field with a strict decoding error", async () => {
    const r = await rejected(`${DEPLOY}?fieldValidation=Strict`, { body: withSpecFoo("strict") }, 400, "BadRequest");
    expect(r.body.message).toBe('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
  });

  it("Strict names every unknown field", async () => {
    const d: any = withSpecFoo("strict2");
    d.spec.template.spec.containers[0].colour = "red";
    const r = await rejected(`${DEPLOY}?fieldValidation=Strict`, { body: d }, 400, "BadRequest");
    expect(r.body.message).toContain('unknown field "spec.foo"');
    expect(r.body.message).toContain('unknown field "spec.template.spec.containers[0].colour"');
  });

  it("Warn creates, prunes the field and says so in a Warning header", async () => {
    const r = await call(`${DEPLOY}?fieldValidation=Warn`, { body: withSpecFoo("warned") });
    expect(r.status).toBe(201);
    expect(r.headers.get("warning")).toBe('299 - "unknown field \\"spec.foo\\""');
    expect(r.body.spec.foo).toBeUndefined();
    const stored = await call(`${DEPLOY}/warned`);
    expect(stored.body.spec).not.toHaveProperty("foo");
  });

  it("warns by default when fieldValidation is not given", async () => {
    const r = await call(DEPLOY, { body: withSpecFoo("default-warn") });
    expect(r.status).toBe(201);
    expect(r.headers.get("warning")).toBe('299 - "unknown field \\"spec.foo\\""');
    expect((await call(`${DEPLOY}/default-warn`)).body.spec).not.toHaveProperty("foo");
  });

  it("Ignore creates and prunes without a warning", async () => {
    const r = await call(`${DEPLOY}?fieldValidation=Ignore`, { body: withSpecFoo("ignored") });
    expect(r.status).toBe(201);
    expect(r.headers.get("warning")).toBeNull();
    expect((await call(`${DEPLOY}/ignored`)).body.spec).not.toHaveProperty("foo");
  });
});

describe("wrong types and invalid values", () => {
  it("refuses a string where an integer belongs", async () => {
    const d: any = deployment("typed");
    d.spec.replicas = "three";
    const r = await rejected(DEPLOY, { body: d }, 400, "BadRequest");
    expect(r.body.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
  });

  it("refuses negative replicas with 422 and a spec.replicas cause", async () => {
    const r = await rejected(DEPLOY, { body: deployment("negative", -1) }, 422, "Invalid");
    expect(r.body.details).toMatchObject({ name: "negative", group: "apps", kind: "Deployment" });
    expect(r.body.details.causes).toContainEqual({ reason: "FieldValueInvalid", message: "Invalid value: -1: must be greater than or equal to 0", field: "spec.replicas" });
    expect(r.body.message).toBe('Deployment.apps "negative" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  });

  it("refuses a Deployment whose selector does not match its template labels", async () => {
    const d: any = deployment("mismatch");
    d.spec.template.metadata.labels = { app: "other" };
    const r = await rejected(DEPLOY, { body: d }, 422, "Invalid");
    expect(r.body.details).toMatchObject({ name: "mismatch", group: "apps", kind: "Deployment" });
    const cause = r.body.details.causes.find((c: any) => c.field === "spec.template.metadata.labels");
    expect(cause).toMatchObject({ reason: "FieldValueInvalid" });
    expect(cause.message).toContain("`selector` does not match template `labels`");
  });

  it("refuses invalid updates and keeps the stored object", async () => {
    const before = (await call(`${DEPLOY}/steady`)).body;
    await rejected(`${DEPLOY}/steady`, { method: "PATCH", body: { spec: { replicas: -3 } }, contentType: MERGE }, 422, "Invalid");
    await rejected(`${DEPLOY}/steady`, { method: "PUT", body: { ...before, spec: { ...before.spec, replicas: -3 } } }, 422, "Invalid");
    await rejected(`${DEPLOY}/steady`, { method: "PATCH", body: { spec: { replicas: "many" } }, contentType: MERGE }, 400, "BadRequest");
    const after = (await call(`${DEPLOY}/steady`)).body;
    expect(after.spec.replicas).toBe(before.spec.replicas);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});

describe("body size and media types", () => {
  it("refuses bodies over 3 MiB with 413", async () => {
    const big = configMap("huge", NS, { blob: "x".repeat(3 * 1024 * 1024 + 16) });
    const r = await rejected(CM, { body: big }, 413, "RequestEntityTooLarge");
    expect(r.body.message).toContain("3145728");
  });

  it("refuses an unsupported content type with 415", async () => {
    const r = await rejected(CM, { body: JSON.stringify(configMap("plain", NS)), contentType: "text/plain" }, 415, "UnsupportedMediaType");
    expect(r.body.message).toContain("text/plain");
    await rejected(`${CM}/steady`, { method: "PATCH", body: { data: { a: "2" } }, contentType: "text/plain" }, 415, "UnsupportedMediaType");
  });

  it("refuses server-side apply with 415 and says what to do instead", async () => {
    const r = await rejected(
      `${CM}/steady?fieldManager=test`,
      { method: "PATCH", body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: steady\ndata:\n  a: '9'\n", contentType: "application/apply-patch+yaml" },
      415,
      "UnsupportedMediaType",
    );
    expect(r.body.message).toContain("application/apply-patch+yaml");
    expect(r.body.message).toMatch(/apply/);
    expect((await call(`${CM}/steady`)).body.data).toEqual({ a: "1" });
  });
});

describe("bad patches", () => {
  it("answers 422 when a JSON patch test operation fails", async () => {
    const patch = [
      { op: "test", path: "/data/a", value: "not-the-value" },
      { op: "replace", path: "/data/a", value: "2" },
    ];
    await rejected(`${CM}/steady`, { method: "PATCH", body: patch, contentType: "application/json-patch+json" }, 422, "Invalid");
    expect((await call(`${CM}/steady`)).body.data).toEqual({ a: "1" });
  });

  it("answers 400 for a JSON patch that is not a list of operations", async () => {
    await rejected(`${CM}/steady`, { method: "PATCH", body: { op: "replace", path: "/data/a", value: "2" }, contentType: "application/json-patch+json" }, 400, "BadRequest");
  });

  it("answers 400 for a merge patch that is not an object", async () => {
    for (const body of ['"a string"', "null"]) {
      await rejected(`${CM}/steady`, { method: "PATCH", body, contentType: MERGE }, 400, "BadRequest");
    }
    expect((await call(`${CM}/steady`)).body.data).toEqual({ a: "1" });
  });
});

describe("bad query parameters", () => {
  // kube-apiserver checks CreateOptions (ValidateCreateOptions) and answers 422 with kind CreateOptions.
  it("refuses an unknown fieldValidation directive", async () => {
    const r = await rejected(`${CM}?fieldValidation=Bogus`, { body: configMap("fv", NS) }, 422, "Invalid");
    expect(r.body.details).toMatchObject({ group: "meta.k8s.io", kind: "CreateOptions" });
    expect(r.body.details.causes).toContainEqual(expect.objectContaining({ reason: "FieldValueNotSupported", field: "fieldValidation" }));
  });

  it("refuses a dryRun value other than All", async () => {
    const r = await rejected(`${CM}?dryRun=Some`, { body: configMap("dry-some", NS) }, 422, "Invalid");
    expect(r.body.details).toMatchObject({ group: "meta.k8s.io", kind: "CreateOptions" });
    expect(r.body.details.causes).toContainEqual(expect.objectContaining({ reason: "FieldValueNotSupported", field: "dryRun" }));
  });

  it("refuses a limit that is not a number", async () => {
    await rejected(`${CM}?limit=abc`, {}, 400, "BadRequest");
  });

  it("refuses a label selector that does not parse", async () => {
    for (const sel of ["app in (a", "a=b=c", "!"]) {
      await rejected(`${CM}?labelSelector=${encodeURIComponent(sel)}`, {}, 400, "BadRequest");
    }
  });

  it("refuses a field selector on a field the resource does not index", async () => {
    const r = await rejected(`${CM}?fieldSelector=${encodeURIComponent("data.a=1")}`, {}, 400, "BadRequest");
    expect(r.body.message).toBe('"data.a" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });
});

describe("URL and body disagreements", () => {
  it("refuses a body namespace that differs from the URL's", async () => {
    const r = await rejected(CM, { body: configMap("elsewhere", "default") }, 400, "BadRequest");
    expect(r.body.message).toBe("the namespace of the provided object does not match the namespace sent on the request");
    expect((await call("/api/v1/namespaces/default/configmaps/elsewhere")).status).toBe(404);
  });

  it("refuses a PUT whose body names another object", async () => {
    const cur = (await call(`${CM}/steady`)).body;
    const r = await rejected(`${CM}/steady`, { method: "PUT", body: { ...cur, metadata: { ...cur.metadata, name: "other" }, data: { a: "2" } } }, 400, "BadRequest");
    expect(r.body.message).toBe("the name of the object (other) does not match the name on the URL (steady)");
  });
});

describe("unknown paths and methods", () => {
  it("answers unknown resources with a NotFound Status", async () => {
    for (const path of [`/api/v1/namespaces/${NS}/widgets`, "/apis/nope.example.com/v1/things", `/api/v1/namespaces/${NS}/configmaps/steady/nonsense`]) {
      const r = await rejected(path, {}, 404, "NotFound");
      expect(r.body.message).toBe("the server could not find the requested resource");
    }
    await rejected(`/api/v1/namespaces/${NS}/widgets`, { body: { apiVersion: "v1", kind: "Widget", metadata: { name: "w" } } }, 404, "NotFound");
  });

  it("answers a method the resource does not support with 405", async () => {
    await rejected(CM, { method: "PUT", body: configMap("put-on-list", NS) }, 405, "MethodNotAllowed");
    await rejected(`${CM}/steady`, { method: "POST", body: configMap("steady", NS) }, 405, "MethodNotAllowed");
  });
});

describe("a terminating namespace", () => {
  const DOOMED = "bad-input-doomed";
  const DOOMED_CM = `/api/v1/namespaces/${DOOMED}/configmaps`;

  it("refuses new content with 403 Forbidden while it terminates, then goes away", async () => {
    expect((await call(NAMESPACES, { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: DOOMED } } })).status).toBe(201);
    const held = configMap("held", DOOMED) as any;
    held.metadata.finalizers = ["example.com/hold"];
    expect((await call(DOOMED_CM, { body: held })).status).toBe(201);

    expect((await call(`${NAMESPACES}/${DOOMED}`, { method: "DELETE" })).status).toBe(200);
    let phase: string | undefined;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      phase = (await call(`${NAMESPACES}/${DOOMED}`)).body.status?.phase;
      if (phase === "Terminating") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(phase).toBe("Terminating");

    const r = await call(DOOMED_CM, { body: configMap("late", DOOMED) });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ kind: "Status", status: "Failure", reason: "Forbidden", code: 403 });
    // Soft, so that the finalizer is still released below when the wording is off.
    expect.soft(r.body.message).toBe(`configmaps "late" is forbidden: unable to create new content in namespace ${DOOMED} because it is being terminated`);
    expect.soft(r.body.details).toMatchObject({ name: "late", group: "", kind: "configmaps" });
    expect.soft(r.body.details?.causes).toContainEqual({ reason: "NamespaceTerminating", message: `namespace ${DOOMED} is being terminated`, field: "metadata.namespace" });
    expect((await call(`${DOOMED_CM}/late`)).status).toBe(404);

    // Releasing the finalizer lets the namespace finish terminating.
    expect((await call(`${DOOMED_CM}/held`, { method: "PATCH", body: { metadata: { finalizers: null } }, contentType: MERGE })).status).toBe(200);
    let status = 200;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && status !== 404; ) {
      status = (await call(`${NAMESPACES}/${DOOMED}`)).status;
      if (status !== 404) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(404);
  });
});
