import { hostname } from "node:os";
import { defineCommand } from "citty";
import { startAgent } from "../../agent/agent";
import { parseLabels, parseTaints } from "../../agent/flags";
import { joinCluster } from "../../agent/join/join";
import { CLIError, guarded } from "../errors";

/**
 * `flotilla join --server URL --token TOKEN [--ca-cert-hash sha256:...]`: turns this machine into
 * a node. The bootstrap token is exchanged once for a node credential kept in the data folder;
 * running the command again resumes with that credential. The agent runs in the foreground.
 */
export default defineCommand({
  meta: { name: "join", description: "Join this machine to a cluster as a node and run its agent" },
  args: {
    server: { type: "string", description: "The API server URL (https://...)", required: true },
    token: { type: "string", description: "A bootstrap token from `flotilla token create` (not needed to resume)" },
    "ca-cert-hash": { type: "string", description: "sha256:<hex> pin of the cluster CA, as printed by `flotilla token create`" },
    name: { type: "string", description: "The node name (default: the host name)" },
    labels: { type: "string", description: "Node labels, k=v,k2=v2" },
    taints: { type: "string", description: "Taints of a new Node, k=v:NoSchedule,k2:NoExecute" },
    "data-dir": { type: "string", description: "Where the agent keeps its credential and state (default /var/lib/flotilla)" },
    "containerd-namespace": { type: "string", description: "The containerd namespace for this node's containers (default flotilla)" },
    "node-ip": { type: "string", description: "The node's InternalIP (default: the first non-loopback IPv4 address)" },
  },
  run: guarded(async ({ args }) => {
    const nodeName = String(args.name ?? hostname()).toLowerCase();
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) throw new CLIError(`invalid node name "${nodeName}": use lowercase letters, digits, "-" and "."`);
    let labels, taints;
    try {
      labels = parseLabels(args.labels as string | undefined);
      taints = parseTaints(args.taints as string | undefined);
    } catch (e) {
      throw new CLIError((e as Error).message);
    }
    const dataDir = String(args["data-dir"] ?? "/var/lib/flotilla");
    let credential;
    try {
      credential = await joinCluster({
        server: String(args.server),
        bootstrapToken: args.token as string | undefined,
        caCertHash: args["ca-cert-hash"] as string | undefined,
        nodeName,
        dataDir,
      });
    } catch (e) {
      throw new CLIError((e as Error).message);
    }
    const agent = await startAgent({
      server: credential.server,
      caPem: credential.caPem,
      token: credential.token,
      nodeName,
      dataDir,
      containerdNamespace: String(args["containerd-namespace"] ?? "flotilla"),
      labels,
      taints,
      nodeIP: args["node-ip"] as string | undefined,
    });
    process.stderr.write(`node ${nodeName} joined; running its pods (podCIDR ${agent.podCIDR})\n`);
    await new Promise<void>((resolveStop) => {
      const stop = () => void agent.stop().finally(resolveStop);
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
  }),
});
