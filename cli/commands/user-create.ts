import { defineCommand } from "citty";
import { apiRequest } from "../api-client";
import { parseDuration } from "../duration";
import { guarded } from "../errors";
import { kubeconfigPath, loadKubeconfig, userKubeconfig } from "../kubeconfig";
import { checkGroups, checkUserName, newToken, repeated, SECRETS_PATH, userTokenSecret } from "../user-tokens";

/** `flotilla user create NAME [--group G]... [--ttl D]`: issues a token and prints its kubeconfig. */
export default defineCommand({
  meta: { name: "create", description: "Issue a bearer token for a user and print a kubeconfig that uses it" },
  args: {
    name: { type: "positional", description: "The user name (RBAC subjects of kind User match it)", required: true },
    group: { type: "string", alias: "g", description: "A group the user belongs to (repeatable)" },
    ttl: { type: "string", description: "How long the token stays valid, e.g. 30m, 1h, 7d (default: no expiry)" },
    kubeconfig: { type: "string", description: "The admin kubeconfig (default: $KUBECONFIG, else .flotilla/kubeconfig)" },
  },
  run: guarded(async ({ args, rawArgs }) => {
    const name = String(args.name);
    checkUserName(name);
    const groups = repeated(rawArgs, "group", "g");
    checkGroups(groups);
    const expiresAt = args.ttl ? new Date(Date.now() + parseDuration(String(args.ttl)) * 1000) : undefined;
    const target = loadKubeconfig(kubeconfigPath(args.kubeconfig as string | undefined));
    const token = newToken();
    await apiRequest(target, "POST", SECRETS_PATH, userTokenSecret(token, name, groups, expiresAt));
    process.stdout.write(userKubeconfig(target, name, token));
    const until = expiresAt ? `until ${expiresAt.toISOString()}` : "with no expiry";
    process.stderr.write(`created a token for user ${JSON.stringify(name)}${groups.length ? ` (groups: ${groups.join(", ")})` : ""}, valid ${until}\n`);
  }),
});
