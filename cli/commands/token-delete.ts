import { defineCommand } from "citty";
import { apiRequest } from "../api-client";
import { CLIError, guarded } from "../errors";
import { kubeconfigPath, loadKubeconfig } from "../kubeconfig";
import { BOOTSTRAP_SECRET_PREFIX, SECRETS_PATH, tokenId } from "./token-bootstrap";

/** `flotilla token delete ID`: withdraws a bootstrap token (nodes that already joined keep their credentials). */
export default defineCommand({
  meta: { name: "delete", description: "Delete a bootstrap token" },
  args: {
    id: { type: "positional", description: "The token's id (the part before the dot), or the whole token", required: true },
    kubeconfig: { type: "string", description: "The admin kubeconfig (default: $KUBECONFIG, else .flotilla/kubeconfig)" },
  },
  run: guarded(async ({ args }) => {
    const id = tokenId(String(args.id));
    const target = loadKubeconfig(kubeconfigPath(args.kubeconfig as string | undefined));
    try {
      await apiRequest(target, "DELETE", `${SECRETS_PATH}/${BOOTSTRAP_SECRET_PREFIX}${id}`);
    } catch (e) {
      if (e instanceof CLIError && / not found$/.test(e.message)) throw new CLIError(`bootstrap token ${JSON.stringify(id)} not found`);
      throw e;
    }
    process.stdout.write(`bootstrap token ${JSON.stringify(id)} deleted\n`);
  }),
});
