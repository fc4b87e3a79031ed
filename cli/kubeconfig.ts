/**
 * Reading the admin kubeconfig the CLI talks to the API with, and writing the kubeconfig a new
 * user receives.
 */
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { CLIError } from "./errors";

/** Where the API server is, how to trust it, and the credential to use. */
export interface ApiTarget {
  /** The file this came from (for messages). */
  path: string;
  clusterName: string;
  server: string;
  caPem: string;
  token: string;
  namespace: string;
}

/** The kubeconfig to use: --kubeconfig, else the first file of $KUBECONFIG, else .flotilla/kubeconfig. */
export function kubeconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (flag) return resolve(cwd, flag);
  const fromEnv = (env.KUBECONFIG ?? "").split(delimiter).find(Boolean);
  return resolve(cwd, fromEnv ?? ".flotilla/kubeconfig");
}

/** The entry called `name` of a kubeconfig list (clusters, users, contexts). */
const byName = (list: unknown, name: string): Record<string, any> | undefined => (Array.isArray(list) ? list.find((x) => x?.name === name) : undefined);

/**
 * Loads the current context of a kubeconfig: server, CA (inline or from a file) and bearer token.
 * @example const target = loadKubeconfig(kubeconfigPath(args.kubeconfig))
 */
export function loadKubeconfig(path: string): ApiTarget {
  if (!existsSync(path)) throw new CLIError(`no kubeconfig at ${path}: start the control plane with \`npm start\`, or pass --kubeconfig / set KUBECONFIG`);
  let cfg: any;
  try {
    cfg = parse(readFileSync(path, "utf8"));
  } catch {
    throw new CLIError(`${path} is not a readable kubeconfig (YAML)`);
  }
  const contextName: string | undefined = cfg?.["current-context"];
  if (!contextName) throw new CLIError(`${path} has no current-context`);
  const context = byName(cfg.contexts, contextName)?.context;
  if (!context) throw new CLIError(`${path}: context ${JSON.stringify(contextName)} is not defined`);
  const cluster = byName(cfg.clusters, context.cluster)?.cluster;
  const user = byName(cfg.users, context.user)?.user;
  if (!cluster?.server) throw new CLIError(`${path}: cluster ${JSON.stringify(context.cluster)} has no server`);
  if (!user?.token) throw new CLIError(`${path}: user ${JSON.stringify(context.user)} has no bearer token; the flotilla CLI needs the admin kubeconfig`);
  let caPem = "";
  if (cluster["certificate-authority-data"]) caPem = Buffer.from(cluster["certificate-authority-data"], "base64").toString("utf8");
  else if (cluster["certificate-authority"]) {
    const caPath = resolve(dirname(path), cluster["certificate-authority"]);
    if (!existsSync(caPath)) throw new CLIError(`${path}: certificate authority file ${caPath} does not exist`);
    caPem = readFileSync(caPath, "utf8");
  }
  return { path, clusterName: context.cluster, server: cluster.server, caPem, token: user.token, namespace: context.namespace || "default" };
}

/**
 * A complete kubeconfig for `user` with `token`, on the same server and CA as `target`.
 * @example process.stdout.write(userKubeconfig(target, "alice", token))
 */
export function userKubeconfig(target: ApiTarget, user: string, token: string): string {
  const context = `${user}@${target.clusterName}`;
  const cluster: Record<string, string> = { server: target.server };
  if (target.caPem) cluster["certificate-authority-data"] = Buffer.from(target.caPem).toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: target.clusterName, cluster }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: context, context: { cluster: target.clusterName, user, namespace: "default" } }],
    "current-context": context,
    preferences: {},
  });
}
