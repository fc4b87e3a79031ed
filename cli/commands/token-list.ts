import { defineCommand } from "citty";
import { apiRequest } from "../api-client";
import { guarded } from "../errors";
import { kubeconfigPath, loadKubeconfig } from "../kubeconfig";
import { BOOTSTRAP_SECRET_TYPE, SECRETS_PATH, table, tokenRow } from "./token-bootstrap";

const HEADER = ["ID", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"];

/** `flotilla token list`: the bootstrap tokens, as `kubeadm token list` shows them (secrets left out). */
export default defineCommand({
  meta: { name: "list", description: "List the bootstrap tokens" },
  args: {
    kubeconfig: { type: "string", description: "The admin kubeconfig (default: $KUBECONFIG, else .flotilla/kubeconfig)" },
  },
  run: guarded(async ({ args }) => {
    const target = loadKubeconfig(kubeconfigPath(args.kubeconfig as string | undefined));
    const list = await apiRequest(target, "GET", SECRETS_PATH);
    const secrets = (list?.items ?? []).filter((s: any) => s.type === BOOTSTRAP_SECRET_TYPE);
    if (secrets.length === 0) {
      process.stderr.write("no bootstrap tokens\n");
      return;
    }
    const now = Date.now();
    process.stdout.write(table(HEADER, secrets.map((s: any) => tokenRow(s, now))));
  }),
});
