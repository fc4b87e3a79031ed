import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { X509Certificate } from "node:crypto";
import { ensurePki } from "../../cli/pki";
import { caCertHash } from "../../agent/join/ca-pin";
import { credentialPath, loadCredential } from "../../agent/join/credential-store";
import { pinnedCa } from "../../agent/join/server-ca";
import { JoinError, joinCluster, NODE_CREDENTIAL_REQUESTS_PATH, type NodeCredential } from "../../agent/join/join";
import { ManualClock } from "../../src/lib/clock";
import { makeTestPki, sendJson, startTestServer, type TestPki, type TestServer } from "./agent-api-tls-fixture";

const TOKEN = "abcdef.0123456789abcdef";
const NODE_JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06bm9kZTpuMSJ9.c2ln";
const EXPIRES = "2026-02-01T00:00:00Z";
const clock = new ManualClock(Date.UTC(2026, 0, 15));

let pki: TestPki;
let other: TestPki;
const servers: TestServer[] = [];
let dataRoot: string;
let dataDir: string;

/** The credential endpoint: 201 for the known token, 401 for any other. */
function credentialEndpoint(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse, body: string): void {
  if (req.method !== "POST" || req.url !== NODE_CREDENTIAL_REQUESTS_PATH) return sendJson(res, 404, { kind: "Status", code: 404, reason: "NotFound", message: "not found" });
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return sendJson(res, 401, { kind: "Status", apiVersion: "v1", status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 });
  const request = JSON.parse(body);
  sendJson(res, 201, { ...request, status: { token: NODE_JWT, expirationTimestamp: EXPIRES } });
}

async function serve(chain: string, key: string): Promise<TestServer> {
  const s = await startTestServer(chain, key, credentialEndpoint);
  servers.push(s);
  return s;
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createTcpServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

beforeAll(() => {
  pki = makeTestPki("cluster-ca");
  other = makeTestPki("someone-elses-ca");
  dataRoot = mkdtempSync(join(tmpdir(), "agent-join-"));
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dataRoot, { recursive: true, force: true });
});

let counter = 0;
beforeEach(() => {
  dataDir = join(dataRoot, `node-${++counter}`, "state");
});

describe("joinCluster with --ca-cert-hash", () => {
  it("trusts the server whose chain holds the pinned CA, exchanges the token and saves the credential privately", async () => {
    const server = await serve(pki.leafPem + pki.caPem, pki.leafKeyPem);
    const cred = await joinCluster({ server: `${server.url}/`, bootstrapToken: TOKEN, caCertHash: caCertHash(pki.caPem), nodeName: "n1", dataDir, clock });
    expect(cred).toEqual({ server: server.url, caPem: expect.stringContaining("BEGIN CERTIFICATE"), token: NODE_JWT, nodeName: "n1", expirationTimestamp: EXPIRES });
    expect(caCertHash(cred.caPem!)).toBe(caCertHash(pki.caPem));
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: "POST", url: NODE_CREDENTIAL_REQUESTS_PATH, authorization: `Bearer ${TOKEN}` });
    expect(JSON.parse(server.requests[0].body)).toEqual({ apiVersion: "flotilla.dev/v1", kind: "NodeCredentialRequest", spec: { nodeName: "n1" } });
    expect(statSync(credentialPath(dataDir)).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(await loadCredential(dataDir)).toEqual(cred);
  });

  it("refuses a server whose CA does not match the pin, sending it nothing", async () => {
    const server = await serve(pki.leafPem + pki.caPem, pki.leafKeyPem);
    const err = await joinCluster({ server: server.url, bootstrapToken: TOKEN, caCertHash: caCertHash(other.caPem), nodeName: "n1", dataDir, clock }).catch((e) => e);
    expect(err).toBeInstanceOf(JoinError);
    expect(err.message).toBe("the server's CA does not match --ca-cert-hash");
    expect(server.requests).toHaveLength(0);
    expect(await loadCredential(dataDir)).toBeUndefined();
  });

  it("cannot find the CA when the server presents only its own certificate", async () => {
    const server = await serve(pki.leafPem, pki.leafKeyPem);
    const err = await joinCluster({ server: server.url, bootstrapToken: TOKEN, caCertHash: caCertHash(pki.caPem), nodeName: "n1", dataDir, clock }).catch((e) => e);
    expect(err).toMatchObject({ code: "CaMismatch", message: "the server's CA does not match --ca-cert-hash" });
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a pinned certificate that is not a CA, or a CA that did not sign the server's certificate", async () => {
    const server = await serve(pki.leafPem + other.caPem, pki.leafKeyPem);
    const notCa = await joinCluster({ server: server.url, bootstrapToken: TOKEN, caCertHash: caCertHash(pki.leafPem), nodeName: "n1", dataDir, clock }).catch((e) => e);
    expect(notCa).toMatchObject({ code: "CaInvalid", message: expect.stringContaining("is not a CA certificate") });
    // A presented CA that is not the leaf's issuer is not part of the chain the handshake yields.
    const notSigner = await joinCluster({ server: server.url, bootstrapToken: TOKEN, caCertHash: caCertHash(other.caPem), nodeName: "n1", dataDir, clock }).catch((e) => e);
    expect(notSigner).toMatchObject({ code: "CaMismatch" });
    expect(server.requests).toHaveLength(0);
  });

  it("checks that the pinned CA signed the server's certificate, whatever chain it is handed", () => {
    const leaf = new X509Certificate(pki.leafPem);
    expect(() => pinnedCa([leaf, new X509Certificate(other.caPem)], caCertHash(other.caPem), "127.0.0.1")).toThrow("the server's certificate was not signed by the CA matching --ca-cert-hash");
    expect(pinnedCa([leaf, new X509Certificate(pki.caPem)], caCertHash(pki.caPem).toUpperCase().replace("SHA256", "sha256"), "localhost")).toContain("BEGIN CERTIFICATE");
  });

  it("refuses a server certificate that is not valid for the address dialled", async () => {
    const elsewhere = makeTestPki("cluster-ca-2", "DNS:api.example.test");
    const server = await serve(elsewhere.leafPem + elsewhere.caPem, elsewhere.leafKeyPem);
    const err = await joinCluster({ server: server.url, bootstrapToken: TOKEN, caCertHash: caCertHash(elsewhere.caPem), nodeName: "n1", dataDir, clock }).catch((e) => e);
    expect(err).toMatchObject({ code: "CaInvalid", message: "the server's certificate is not valid for 127.0.0.1" });
    expect(server.requests).toHaveLength(0);
  });

  it("rejects a given CA that does not match the pin before dialling", async () => {
    const err = await joinCluster({ server: `https://127.0.0.1:${await closedPort()}`, bootstrapToken: TOKEN, caPem: other.caPem, caCertHash: caCertHash(pki.caPem), nodeName: "n1", dataDir, clock, attempts: 1 }).catch((e) => e);
    expect(err).toMatchObject({ code: "CaMismatch" });
  });
});

describe("joinCluster failures", () => {
  it("stops at once on 401 with a message that says what to do", async () => {
    const server = await serve(pki.leafPem + pki.caPem, pki.leafKeyPem);
    const slept: number[] = [];
    const err = await joinCluster({ server: server.url, bootstrapToken: "zzzzzz.0123456789abcdef", caPem: pki.caPem, nodeName: "n1", dataDir, clock, sleep: async (ms) => void slept.push(ms) }).catch((e) => e);
    expect(err).toBeInstanceOf(JoinError);
    expect(err.message).toBe("the bootstrap token is unknown or has expired; create a new one with `npx flotilla token create`");
    expect(server.requests).toHaveLength(1);
    expect(slept).toEqual([]);
    expect(err.message).not.toContain("zzzzzz");
  });

  it("retries an unreachable server a few times with back-off, then says so", async () => {
    const port = await closedPort();
    const slept: number[] = [];
    const err = await joinCluster({ server: `https://127.0.0.1:${port}`, bootstrapToken: TOKEN, caCertHash: caCertHash(pki.caPem), nodeName: "n1", dataDir, clock, attempts: 4, random: () => 0, sleep: async (ms) => void slept.push(ms) }).catch((e) => e);
    expect(err).toMatchObject({ code: "Unreachable" });
    expect(err.message).toBe(`cannot reach the API server at https://127.0.0.1:${port} (ECONNREFUSED) after 4 attempts; check the address and that the control plane is running`);
    expect(slept).toEqual([1000, 2000, 4000]);
  });

  it("does not trust a private CA without a pin", async () => {
    const server = await serve(pki.leafPem + pki.caPem, pki.leafKeyPem);
    const err = await joinCluster({ server: server.url, bootstrapToken: TOKEN, nodeName: "n1", dataDir, clock }).catch((e) => e);
    expect(err).toMatchObject({ code: "Untrusted" });
    expect(server.requests).toHaveLength(0);
  });

  it("checks the token's shape and the server's scheme before dialling", async () => {
    await expect(joinCluster({ server: "https://127.0.0.1:1", bootstrapToken: "not-a-token", nodeName: "n1", dataDir, clock })).rejects.toMatchObject({ code: "BadToken" });
    await expect(joinCluster({ server: "http://127.0.0.1:1", bootstrapToken: TOKEN, nodeName: "n1", dataDir, clock })).rejects.toMatchObject({ code: "BadServer" });
    await expect(joinCluster({ server: "https://127.0.0.1:1", nodeName: "n1", dataDir, clock })).rejects.toMatchObject({ code: "NoToken" });
  });
});

describe("joinCluster after a restart", () => {
  const saved = (server: string, over: Partial<NodeCredential> = {}): NodeCredential => ({ server, caPem: pki.caPem, token: NODE_JWT, nodeName: "n1", expirationTimestamp: EXPIRES, ...over });
  const write = (cred: NodeCredential) => {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(credentialPath(dataDir), JSON.stringify(cred));
  };

  it("resumes from the saved credential without a token and without dialling", async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    write(saved(server));
    expect(await joinCluster({ server: `${server}/`, nodeName: "n1", dataDir, clock })).toEqual(saved(server));
  });

  it("needs a token when the saved credential is for another node or server", async () => {
    const server = `https://127.0.0.1:${await closedPort()}`;
    write(saved(server, { nodeName: "n2" }));
    await expect(joinCluster({ server, nodeName: "n1", dataDir, clock })).rejects.toMatchObject({ code: "NoToken" });
    write(saved("https://10.9.9.9:8787"));
    await expect(joinCluster({ server, nodeName: "n1", dataDir, clock })).rejects.toMatchObject({ code: "NoToken" });
  });

  it("asks for a new token when the saved credential has expired, and uses one when given", async () => {
    const https = await serve(pki.leafPem + pki.caPem, pki.leafKeyPem);
    write(saved(https.url, { expirationTimestamp: "2026-01-01T00:00:00Z", token: "old" }));
    await expect(joinCluster({ server: https.url, nodeName: "n1", dataDir, clock })).rejects.toMatchObject({ code: "CredentialExpired" });
    const fresh = await joinCluster({ server: https.url, bootstrapToken: TOKEN, caCertHash: caCertHash(pki.caPem), nodeName: "n1", dataDir, clock });
    expect(fresh.token).toBe(NODE_JWT);
    expect((await loadCredential(dataDir))?.token).toBe(NODE_JWT);
  });
});

describe("the local control plane's serving certificate", () => {
  const certs = (text: string): string[] => text.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];

  it("holds the leaf and then the CA, and a folder from before is brought up to date", () => {
    const dir = join(dataRoot, "pki-migration");
    const pkiFiles = ensurePki(dir);
    const served = readFileSync(pkiFiles.certPath, "utf8");
    expect(certs(served)).toHaveLength(2);
    expect(new X509Certificate(certs(served)[0]).verify(new X509Certificate(pkiFiles.caPem).publicKey)).toBe(true);
    expect(caCertHash(certs(served)[1])).toBe(caCertHash(pkiFiles.caPem));

    // An older folder served the leaf alone.
    writeFileSync(pkiFiles.certPath, `${certs(served)[0]}\n`);
    ensurePki(dir);
    expect(readFileSync(pkiFiles.certPath, "utf8")).toBe(served);
  });
});
