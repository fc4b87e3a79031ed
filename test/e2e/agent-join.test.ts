import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ApiClient } from "../../agent/api/client";
import { PodInformer } from "../../agent/api/pod-informer";
import { caCertHash } from "../../agent/join/ca-pin";
import { JoinError, joinCluster, type NodeCredential } from "../../agent/join/join";
import { presentedChain } from "../../agent/join/server-ca";
import { startLeaseRenewal, type LeaseRenewal } from "../../agent/node/lease";
import { collectNodeFacts } from "../../agent/node/node-info";
import { registerNode, waitForPodCIDR } from "../../agent/node/registration";
import { startNodeStatus, type NodeStatusReporter } from "../../agent/node/status-reporter";
import { systemClock } from "../../src/lib/clock";
import { startFlotilla, type Started } from "./harness";
import { eventually, kubectlAsync } from "./rollout-helpers";

/**
 * A machine joins a real cluster with a bootstrap token and the CA pin, then acts as a node:
 * registers, reports Ready, renews its Lease and receives the pods bound to it.
 */

const NODE = "e2e-join-node";
const dir = mkdtempSync(join(tmpdir(), "flotilla-join-"));
const home = mkdtempSync(join(tmpdir(), "flotilla-join-home-"));
const dataDir = join(mkdtempSync(join(tmpdir(), "flotilla-join-node-")), "state");

let server: Started | undefined;
let kubectl: ReturnType<typeof kubectlAsync>;
let url: string;
let caPem: string;
let bootstrapToken: string;
let cred: NodeCredential;
let client: ApiClient | undefined;
let lease: LeaseRenewal | undefined;
let status: NodeStatusReporter | undefined;
let informer: PodInformer | undefined;
const upserts: any[] = [];
const deletes: any[] = [];

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const lower = (n: number) => [...randomBytes(n)].map((b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");

beforeAll(async () => {
  server = await startFlotilla(dir);
  kubectl = kubectlAsync(server.kubeconfig, home);
  url = parse(readFileSync(server.kubeconfig, "utf8")).clusters[0].cluster.server;
  caPem = readFileSync(join(dir, "pki", "ca.crt"), "utf8");
  const id = lower(6);
  const secret = lower(16);
  bootstrapToken = `${id}.${secret}`;
  await ok(["apply", "-f", "-"], JSON.stringify({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
    type: "bootstrap.kubernetes.io/token",
    stringData: { "token-id": id, "token-secret": secret, "usage-bootstrap-authentication": "true", expiration: new Date(Date.now() + 3_600_000).toISOString() },
  }));
});

afterAll(async () => {
  await informer?.stop();
  await lease?.stop();
  await status?.stop();
  client?.close();
  await server?.stop();
  for (const d of [dir, home, join(dataDir, "..")]) rmSync(d, { recursive: true, force: true });
});

describe("joining a cluster", () => {
  it("the server presents its CA after its own certificate, so the pin can be checked", async () => {
    const chain = await presentedChain(new URL(url));
    expect(chain).toHaveLength(2);
    expect(caCertHash(chain[1].toString())).toBe(caCertHash(caPem));
    const kubectlStill = await ok(["get", "ns", "default", "-o", "name"]);
    expect(kubectlStill.trim()).toBe("namespace/default");
  });

  it("refuses a wrong pin without sending the token, and a wrong token with a clear message", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "flotilla-join-none-"));
    try {
      const wrongPin = `sha256:${"0".repeat(64)}`;
      await expect(joinCluster({ server: url, bootstrapToken, caCertHash: wrongPin, nodeName: NODE, dataDir: otherDir })).rejects.toThrow("the server's CA does not match --ca-cert-hash");
      const err = await joinCluster({ server: url, bootstrapToken: "aaaaaa.bbbbbbbbbbbbbbbb", caCertHash: caCertHash(caPem), nodeName: NODE, dataDir: otherDir }).catch((e) => e);
      expect(err).toBeInstanceOf(JoinError);
      expect(err.message).toBe("the bootstrap token is unknown or has expired; create a new one with `npx flotilla token create`");
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it("trades the bootstrap token for a node credential, and resumes from it without the token", async () => {
    cred = await joinCluster({ server: url, bootstrapToken, caCertHash: caCertHash(caPem), nodeName: NODE, dataDir });
    expect(cred.nodeName).toBe(NODE);
    expect(caCertHash(cred.caPem!)).toBe(caCertHash(caPem));
    expect(Date.parse(cred.expirationTimestamp)).toBeGreaterThan(Date.now());
    expect(await joinCluster({ server: url, nodeName: NODE, dataDir })).toEqual(cred);

    client = new ApiClient({ server: cred.server, token: cred.token, caPem: cred.caPem });
    const review = await client.create("/apis/authentication.k8s.io/v1/selfsubjectreviews", { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" });
    expect(review.status.userInfo.username).toBe(`system:node:${NODE}`);
    expect(review.status.userInfo.groups).toContain("system:nodes");
  });

  it("registers the Node with its labels and gets a pod range", async () => {
    const facts = await collectNodeFacts({ dataDir, containerdVersion: "1.6.20", hostname: NODE });
    const node = await registerNode(client!, { name: NODE, labels: { "flotilla.dev/e2e": "join" }, facts });
    expect(node.metadata.name).toBe(NODE);
    const cidr = await waitForPodCIDR(client!, NODE, 30_000);
    expect(cidr).toMatch(/^10\.244\.\d+\.0\/24$/);
    const got = JSON.parse(await ok(["get", "node", NODE, "-o", "json"]));
    expect(got.metadata.labels).toMatchObject({ "kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux", "kubernetes.io/arch": facts.nodeInfo.architecture, "flotilla.dev/e2e": "join" });
    expect(got.status.nodeInfo.kubeletVersion).toBe("v1.32.0-flotilla");
    expect(got.status.capacity.pods).toBe("110");
    // Registering again (an agent restart) keeps the same Node.
    const again = await registerNode(client!, { name: NODE, labels: { "flotilla.dev/e2e": "join" }, facts });
    expect(again.metadata.uid).toBe(got.metadata.uid);
  });

  it("is Ready once it posts its status and keeps its Lease fresh", async () => {
    status = startNodeStatus({ client: client!, nodeName: NODE, clock: systemClock, facts: () => collectNodeFacts({ dataDir, containerdVersion: "1.6.20", hostname: NODE }), images: async () => [{ names: ["docker.io/library/busybox:1.36"], sizeBytes: 4_000_000 }] });
    lease = startLeaseRenewal({ client: client!, nodeName: NODE, clock: systemClock, intervalMs: 1000 });
    const row = await eventually(
      () => ok(["get", "node", NODE, "--no-headers"]),
      (out) => /\sReady\s/.test(out),
      30_000,
      250,
    );
    expect(row).toMatch(new RegExp(`^${NODE}\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.32\\.0-flotilla`));
    const wide = await ok(["get", "node", NODE, "-o", "wide", "--no-headers"]);
    expect(wide).toContain("containerd://1.6.20");

    const leaseOf = async () => JSON.parse(await ok(["get", "lease", NODE, "-n", "kube-node-lease", "-o", "json"]));
    const first = await eventually(() => leaseOf().catch(() => undefined), (l) => !!l?.spec?.renewTime, 10_000, 200);
    const node = JSON.parse(await ok(["get", "node", NODE, "-o", "json"]));
    expect(first.spec).toMatchObject({ holderIdentity: NODE, leaseDurationSeconds: 40 });
    expect(first.metadata.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: NODE, uid: node.metadata.uid }]);
    expect(first.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const later = await eventually(leaseOf, (l) => Date.parse(l.spec.renewTime) > Date.parse(first.spec.renewTime), 10_000, 300);
    expect(Date.parse(later.spec.renewTime)).toBeGreaterThan(Date.parse(first.spec.renewTime));
  });

  it("receives the pods bound to it, and their deletion", async () => {
    informer = new PodInformer({ client: client!, nodeName: NODE, timeoutSeconds: 30, handlers: { onUpsert: (p) => void upserts.push(p), onDelete: (p) => void deletes.push(p) } });
    informer.start();
    await eventually(async () => informer!.synced, (s) => s, 10_000, 50);
    const pod = (name: string) => JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default" }, spec: { nodeName: NODE, containers: [{ name: "c", image: "busybox:1.36", command: ["sleep", "3600"] }] } });
    await ok(["create", "-f", "-"], pod("bound-1"));
    await ok(["create", "-f", "-"], pod("bound-2"));
    await eventually(async () => upserts.map((p) => p.metadata.name), (names) => names.includes("bound-1") && names.includes("bound-2"), 15_000, 50);
    const uid1 = informer.list().find((p) => p.metadata.name === "bound-1")!.metadata.uid;
    expect(informer.get(uid1)?.spec.nodeName).toBe(NODE);

    // Forced deletion: gone at once.
    await ok(["delete", "pod", "bound-1", "--grace-period=0", "--force"]);
    await eventually(async () => deletes.map((p) => p.metadata.name), (names) => names.includes("bound-1"), 15_000, 50);
    expect(informer.get(uid1)).toBeUndefined();

    // Graceful deletion: the node sees the deletionTimestamp, and finishes the deletion itself as a kubelet does.
    const graceful = kubectl(["delete", "pod", "bound-2", "--wait=false"]);
    const marked = await eventually(async () => upserts.find((p) => p.metadata.name === "bound-2" && p.metadata.deletionTimestamp), (p) => !!p, 15_000, 50);
    expect((await graceful).code).toBe(0);
    await client!.delete("/api/v1/namespaces/default/pods/bound-2", { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid: marked.metadata.uid } });
    await eventually(async () => deletes.map((p) => p.metadata.name), (names) => names.includes("bound-2"), 15_000, 50);
    expect(informer.list().map((p) => p.metadata.name)).not.toContain("bound-2");
  });
});
