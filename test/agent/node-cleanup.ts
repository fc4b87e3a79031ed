import { rmSync } from "node:fs";
import { chainPrefix, sandboxPrefix } from "../../agent/agent";
import { removeProxyRules } from "../../agent/proxy/service-proxy";
import { SandboxManager } from "../../agent/sandbox/sandbox-manager";
import { cleanupNamespace } from "./image";

/**
 * Removes everything an agent leaves on the machine: containers, images, its packet-filter
 * chains, sandboxes and bridge, and its data folder (for tests and benchmarks).
 */
export async function cleanUpNode(name: string, namespace: string, dataDir: string): Promise<void> {
  await cleanupNamespace(namespace).catch(() => undefined);
  await removeProxyRules(chainPrefix(name)).catch(() => undefined);
  await new SandboxManager({ prefix: sandboxPrefix(name), dataDir, podCIDR: "10.244.0.0/24" }).removeAll().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
