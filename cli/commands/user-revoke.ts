import { defineCommand } from "citty";
import { apiRequest } from "../api-client";
import { CLIError, guarded } from "../errors";
import { kubeconfigPath, loadKubeconfig } from "../kubeconfig";
import { checkUserName, SECRETS_PATH, USER_LABEL, USER_TOKEN_SECRET_TYPE } from "../user-tokens";

/** `flotilla user revoke NAME`: deletes every token issued to the user. */
export default defineCommand({
  meta: { name: "revoke", description: "Revoke every token issued to a user" },
  args: {
    name: { type: "positional", description: "The user name", required: true },
    kubeconfig: { type: "string", description: "The admin kubeconfig (default: $KUBECONFIG, else .flotilla/kubeconfig)" },
  },
  run: guarded(async ({ args }) => {
    const name = String(args.name);
    checkUserName(name);
    const target = loadKubeconfig(kubeconfigPath(args.kubeconfig as string | undefined));
    const list = await apiRequest(target, "GET", `${SECRETS_PATH}?labelSelector=${encodeURIComponent(`${USER_LABEL}=${name}`)}`);
    const secrets = (list?.items ?? []).filter((s: any) => s.type === USER_TOKEN_SECRET_TYPE);
    if (secrets.length === 0) throw new CLIError(`user ${JSON.stringify(name)} has no tokens to revoke`);
    for (const s of secrets) await apiRequest(target, "DELETE", `${SECRETS_PATH}/${encodeURIComponent(s.metadata.name)}`);
    process.stdout.write(`revoked ${secrets.length} token${secrets.length === 1 ? "" : "s"} of user ${JSON.stringify(name)}\n`);
  }),
});
