import { startLocalCluster } from "./local-cluster";

/** `npm start`: the whole control plane on this machine, until Ctrl-C. */
async function main(): Promise<void> {
  const port = process.env.FLOTILLA_PORT ? Number(process.env.FLOTILLA_PORT) : 8787;
  const host = process.env.FLOTILLA_HOST ?? "127.0.0.1";
  const before = { SIGINT: process.listeners("SIGINT"), SIGTERM: process.listeners("SIGTERM") };
  const cluster = await startLocalCluster({ port, host, dir: process.env.FLOTILLA_DIR });
  // Miniflare installs signal handlers that exit at once; ours must run so workerd is disposed.
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    for (const l of process.listeners(sig)) if (!before[sig].includes(l)) process.off(sig, l);
  }
  process.stdout.write(`Flotilla control plane ready at ${cluster.url}\n\nexport KUBECONFIG=${cluster.kubeconfigPath}\n\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    await cluster.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((e) => {
  process.stderr.write(`flotilla: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
