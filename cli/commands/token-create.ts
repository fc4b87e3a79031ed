import { defineCommand } from "citty";
import { networkInterfaces } from "node:os";
import { apiRequest } from "../api-client";
import { guarded } from "../errors";
import { kubeconfigPath, loadKubeconfig } from "../kubeconfig";
import { bootstrapTokenSecret, DEFAULT_TTL, isLoopbackServer, joinCommand, newBootstrapToken, parseTtl, rfc3339, SECRETS_PATH } from "./token-bootstrap";

/** This machine's first external IPv4 address, for the hint about loopback servers. */
function machineAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === "IPv4" && !i.internal)?.address;
}

/**
 * `flotilla token create [--ttl 24h] [--description TEXT]`: stores a new bootstrap token and prints
 * the one line a new machine runs to join with it.
 */
export default defineCommand({
  meta: { name: "create", description: "Create a bootstrap token and print the command that joins a node with it" },
  args: {
    ttl: { type: "string", description: `How long the token stays valid, e.g. 30m, 24h, 7d; 0 for never (default ${DEFAULT_TTL})` },
    description: { type: "string", description: "A note on what the token is for (shown by `token list`)" },
    kubeconfig: { type: "string", description: "The admin kubeconfig (default: $KUBECONFIG, else .flotilla/kubeconfig)" },
  },
  run: guarded(async ({ args }) => {
    const ttlSeconds = parseTtl(String(args.ttl ?? DEFAULT_TTL));
    const target = loadKubeconfig(kubeconfigPath(args.kubeconfig as string | undefined));
    const now = Date.now();
    const token = newBootstrapToken();
    await apiRequest(target, "POST", SECRETS_PATH, bootstrapTokenSecret({ token, now, ttlSeconds, description: args.description as string | undefined }));
    process.stdout.write(`${joinCommand(target, token)}\n`);
    const until = ttlSeconds === undefined ? "with no expiry" : `until ${rfc3339(now + ttlSeconds * 1000)}`;
    process.stderr.write(`created bootstrap token ${token.split(".")[0]}, valid ${until}\n`);
    if (isLoopbackServer(target.server)) {
      const address = machineAddress();
      const example = address ? ` (e.g. --server https://${address}:${new URL(target.server).port || 443})` : "";
      process.stderr.write(`note: ${target.server} only reaches this machine; a node elsewhere needs an address it can reach${example}, with the control plane started with FLOTILLA_HOST=0.0.0.0\n`);
    }
  }),
});
