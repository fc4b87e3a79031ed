import { beforeAll, describe, expect, it } from "vitest";
import { createStaticUser, must, randomToken } from "./auth-fixtures";
import { json } from "./helpers";

const PATH = "/apis/flotilla.dev/v1/nodecredentialrequests";
const TOKEN = "j0in01.0123456789abcdef";
const EXPIRED = "j0in02.abcdefabcdefabcd";
const YEAR = 365 * 24 * 3600;

/** A kubeadm-style bootstrap token Secret, as `flotilla token create` writes it. */
function bootstrapSecret(token: string, expiration?: string) {
  const [id, secret] = token.split(".");
  const stringData: Record<string, string> = {
    "token-id": id,
    "token-secret": secret,
    "usage-bootstrap-authentication": "true",
    "usage-bootstrap-signing": "true",
    "auth-extra-groups": "system:bootstrappers:flotilla:default-node-token",
  };
  if (expiration) stringData.expiration = expiration;
  return { apiVersion: "v1", kind: "Secret", metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" }, type: "bootstrap.kubernetes.io/token", stringData };
}

function credentialRequest(nodeName: unknown, extra: Record<string, unknown> = {}) {
  return { apiVersion: "flotilla.dev/v1", kind: "NodeCredentialRequest", spec: { nodeName, ...extra } };
}

function pod(name: string, node: string) {
  return { apiVersion: "v1", kind: "Pod", metadata: { name }, spec: { nodeName: node, containers: [{ name: "main", image: "busybox:local" }] } };
}

const whoami = async (token: string) =>
  (await json("/apis/authentication.k8s.io/v1/selfsubjectreviews", { token, body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } })).body.status?.userInfo;

let credential: string;

beforeAll(async () => {
  await must("/api/v1/namespaces/kube-system/secrets", { body: bootstrapSecret(TOKEN, "2099-01-01T00:00:00Z") });
  await must("/api/v1/namespaces/kube-system/secrets", { body: bootstrapSecret(EXPIRED, "2020-01-01T00:00:00Z") });
  await must("/api/v1/namespaces/default/pods", { body: pod("on-n1", "join-n1") });
  await must("/api/v1/namespaces/default/pods", { body: pod("on-n2", "join-n2") });
});

describe("NodeCredentialRequest with a bootstrap token", () => {
  it("issues a signed credential for the node, valid for a year by default", async () => {
    expect(await whoami(TOKEN)).toEqual({ username: "system:bootstrap:j0in01", groups: ["system:bootstrappers", "system:bootstrappers:flotilla:default-node-token", "system:authenticated"] });
    const r = await json(PATH, { token: TOKEN, body: credentialRequest("join-n1") });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ apiVersion: "flotilla.dev/v1", kind: "NodeCredentialRequest", spec: { nodeName: "join-n1", expirationSeconds: YEAR } });
    const created = Date.parse(r.body.metadata.creationTimestamp);
    expect(Math.abs(created - Date.now())).toBeLessThan(60_000);
    expect(Date.parse(r.body.status.expirationTimestamp) - created).toBe(YEAR * 1000);
    credential = r.body.status.token;
    expect(credential.split(".")).toHaveLength(3);
    expect(await whoami(credential)).toMatchObject({ username: "system:node:join-n1", groups: ["system:nodes", "system:authenticated"] });
  });

  it("honours expirationSeconds and refuses less than ten minutes", async () => {
    const r = await json(PATH, { token: TOKEN, body: credentialRequest("join-n1", { expirationSeconds: 3600 }) });
    expect(r.status).toBe(201);
    expect(Date.parse(r.body.status.expirationTimestamp) - Date.parse(r.body.metadata.creationTimestamp)).toBe(3600_000);
    const short = await json(PATH, { token: TOKEN, body: credentialRequest("join-n1", { expirationSeconds: 60 }) });
    expect(short.status).toBe(422);
    expect(short.body.details.causes).toEqual([{ reason: "FieldValueInvalid", field: "spec.expirationSeconds", message: "Invalid value: 60: may not specify a duration less than 10 minutes" }]);
  });

  it("gives the credential exactly a node's rights: its own Node and pods, not another node's", async () => {
    const node = await json("/api/v1/nodes", { token: credential, body: { apiVersion: "v1", kind: "Node", metadata: { name: "join-n1" } } });
    expect(node.status, JSON.stringify(node.body)).toBe(201);
    const other = await json("/api/v1/nodes", { token: credential, body: { apiVersion: "v1", kind: "Node", metadata: { name: "join-n2" } } });
    expect(other.status).toBe(403);
    expect((await json("/api/v1/namespaces/default/pods/on-n1", { token: credential })).status).toBe(200);
    const foreign = await json("/api/v1/namespaces/default/pods/on-n2", { token: credential });
    expect(foreign.status).toBe(403);
    expect(foreign.body.message).toBe(
      `pods "on-n2" is forbidden: User "system:node:join-n1" cannot get resource "pods" in API group "" in the namespace "default": no relationship found between node 'join-n1' and this object`,
    );
  });

  it("lets the bootstrap token do nothing else", async () => {
    const secrets = await json("/api/v1/namespaces/kube-system/secrets", { token: TOKEN });
    expect(secrets.status).toBe(403);
    expect(secrets.body.message).toBe('secrets is forbidden: User "system:bootstrap:j0in01" cannot list resource "secrets" in API group "" in the namespace "kube-system"');
    expect((await json("/api/v1/nodes", { token: TOKEN, body: { apiVersion: "v1", kind: "Node", metadata: { name: "sneaky" } } })).status).toBe(403);
    expect((await json("/api/v1/namespaces/default/pods/on-n1", { token: TOKEN })).status).toBe(403);
  });

  it("refuses an expired bootstrap token with 401", async () => {
    const r = await json(PATH, { token: EXPIRED, body: credentialRequest("join-n3") });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    expect((await json(PATH, { token: null, body: credentialRequest("join-n3") })).status).toBe(401);
  });

  it("stops working once the token's Secret is deleted", async () => {
    const gone = "j0in03.0123456789abcdef";
    await must("/api/v1/namespaces/kube-system/secrets", { body: bootstrapSecret(gone) });
    expect((await json(PATH, { token: gone, body: credentialRequest("join-n4") })).status).toBe(201);
    await must("/api/v1/namespaces/kube-system/secrets/bootstrap-token-j0in03", { method: "DELETE" });
    expect((await json(PATH, { token: gone, body: credentialRequest("join-n4") })).status).toBe(401);
  });
});

describe("NodeCredentialRequest as a node", () => {
  it("renews the node's own credential", async () => {
    const r = await json(PATH, { token: credential, body: credentialRequest("join-n1") });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(await whoami(r.body.status.token)).toMatchObject({ username: "system:node:join-n1" });
  });

  it("refuses a credential for any other node with 403", async () => {
    const r = await json(PATH, { token: credential, body: credentialRequest("join-n2") });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ reason: "Forbidden", details: { group: "flotilla.dev", kind: "nodecredentialrequests" } });
    expect(r.body.message).toBe(
      'nodecredentialrequests.flotilla.dev is forbidden: User "system:node:join-n1" cannot create resource "nodecredentialrequests" in API group "flotilla.dev" at the cluster scope: a node may only request a credential for itself',
    );
  });
});

describe("NodeCredentialRequest refusals", () => {
  it("needs the RBAC permission for anyone but a node and a bootstrap token", async () => {
    const token = randomToken();
    await createStaticUser(token, "joe");
    const r = await json(PATH, { token, body: credentialRequest("join-n1") });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('nodecredentialrequests.flotilla.dev is forbidden: User "joe" cannot create resource "nodecredentialrequests" in API group "flotilla.dev" at the cluster scope');
    // Authorization comes first: a refused user learns nothing about the body.
    expect((await json(PATH, { token, body: "{not json" })).status).toBe(403);
  });

  it("answers 422 with causes for a name that is not a DNS subdomain, or none", async () => {
    const r = await json(PATH, { token: TOKEN, body: credentialRequest("Bad_Name") });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ reason: "Invalid", details: { name: "Bad_Name", group: "flotilla.dev", kind: "NodeCredentialRequest" } });
    expect(r.body.details.causes).toEqual([
      {
        reason: "FieldValueInvalid",
        field: "spec.nodeName",
        message: `Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
    ]);
    expect(r.body.message).toContain('NodeCredentialRequest.flotilla.dev "Bad_Name" is invalid: spec.nodeName: Invalid value: "Bad_Name"');
    const missing = await json(PATH, { token: TOKEN, body: { apiVersion: "flotilla.dev/v1", kind: "NodeCredentialRequest", spec: {} } });
    expect(missing.status).toBe(422);
    expect(missing.body.details.causes).toEqual([{ reason: "FieldValueRequired", field: "spec.nodeName", message: "Required value" }]);
    expect((await json(PATH, { token: TOKEN, body: credentialRequest("x".repeat(254)) })).status).toBe(422);
  });

  it("answers 400 for bad JSON and for another kind or version", async () => {
    const bad = await json(PATH, { token: TOKEN, body: "{nope" });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe("BadRequest");
    const kind = await json(PATH, { token: TOKEN, body: { apiVersion: "flotilla.dev/v1", kind: "TokenRequest", spec: { nodeName: "a" } } });
    expect(kind.status).toBe(400);
    expect(kind.body.message).toBe("the kind in the data (TokenRequest) does not match the expected kind (NodeCredentialRequest)");
    const version = await json(PATH, { token: TOKEN, body: { apiVersion: "flotilla.dev/v2", kind: "NodeCredentialRequest", spec: { nodeName: "a" } } });
    expect(version.status).toBe(400);
    expect(version.body.message).toBe("the API version in the data (flotilla.dev/v2) does not match the expected API version (flotilla.dev/v1)");
  });

  it("serves create only", async () => {
    const r = await json(PATH, { token: TOKEN });
    expect(r.status).toBe(405);
    expect(r.body.reason).toBe("MethodNotAllowed");
  });
});
