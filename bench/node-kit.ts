/**
 * A control plane plus one real agent joined through `flotilla join`, for the benchmarks that
 * need real containers (bench:agent, bench:services). Needs root and a running containerd.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { caCertHash } from "../agent/join/ca-pin";
import { ensureBusyboxImage } from "../test/agent/image";
import { cleanUpNode } from "../test/agent/node-cleanup";
import { startFlotilla, type Started } from "../test/e2e/harness";
import { KubeClient, readKubeconfig, type ClusterAccess } from "../test/sim/kube-client";
import { sleep } from "./stats";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface BenchNode {
  server: Started;
  access: ClusterAccess;
  kube: KubeClient;
  node: string;
  namespace: string;
  agent: ChildProcess;
  /** From `flotilla join` to the agent saying it joined. */
  joinMs: number;
  stop(): Promise<void>;
}

export async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function startBenchNode(node: string, namespace: string): Promise<BenchNode> {
  const server = await startFlotilla();
  const dataDir = mkdtempSync(join(tmpdir(), `${node}-data-`));
  const access = readKubeconfig(server.kubeconfig);
  const kube = new KubeClient({ ...access, concurrency: 8 });
  await ensureBusyboxImage(namespace);
  const id = randomBytes(3).toString("hex");
  const secret = randomBytes(8).toString("hex");
  await kube.send("POST", "/api/v1/namespaces/kube-system/secrets", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `bootstrap-token-${id}`, namespace: "kube-system" },
    type: "bootstrap.kubernetes.io/token",
    stringData: { "token-id": id, "token-secret": secret, "usage-bootstrap-authentication": "true" },
  });
  const caHash = caCertHash(readFileSync(join(server.dir, "pki", "ca.crt"), "utf8"));
  const args = ["--max-semi-space-size=2", join(ROOT, "bin/flotilla.mjs"), "join", "--server", access.server, "--token", `${id}.${secret}`, "--ca-cert-hash", caHash, "--name", node, "--data-dir", dataDir, "--containerd-namespace", namespace];
  const agent = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  agent.stderr!.on("data", (d) => (log += d));
  const t0 = performance.now();
  await waitFor(() => log.includes("joined"), 60_000, `the agent to join:\n${log}`);
  const joinMs = performance.now() - t0;
  return {
    server,
    access,
    kube,
    node,
    namespace,
    agent,
    joinMs,
    async stop() {
      await new Promise<void>((res) => {
        if (agent.exitCode !== null) return res();
        agent.once("exit", () => res());
        agent.kill("SIGTERM");
      });
      await cleanUpNode(node, namespace, dataDir);
      kube.close();
      await server.stop();
    },
  };
}
