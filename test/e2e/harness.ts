import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface Started {
  dir: string;
  port: number;
  kubeconfig: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
    srv.on("error", rej);
  });
}

/**
 * Starts the control plane exactly as `npm start` does, in its own state folder; `env` adds
 * environment variables (e.g. FLOTILLA_NODE_MONITOR_GRACE_SECONDS).
 */
export async function startFlotilla(dir = mkdtempSync(join(tmpdir(), "flotilla-e2e-")), port?: number, env: Record<string, string> = {}): Promise<Started> {
  const p = port ?? (await freePort());
  const proc = spawn("npm", ["start", "--silent"], { cwd: ROOT, env: { ...process.env, ...env, FLOTILLA_DIR: dir, FLOTILLA_PORT: String(p) }, detached: true });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!out.includes("export KUBECONFIG=")) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    port: p,
    kubeconfig: join(dir, "kubeconfig"),
    proc,
    output: () => out,
    stop: () =>
      new Promise((res) => {
        if (proc.exitCode !== null) return res(proc.exitCode);
        proc.once("exit", (code) => res(code));
        process.kill(-proc.pid!, "SIGTERM");
      }),
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl with a private HOME so its discovery cache starts cold. */
export function kubectlWith(kubeconfig: string, home: string) {
  return (args: string[], input?: string): KubectlResult => {
    const r = spawnSync("kubectl", args, { env: { ...process.env, KUBECONFIG: kubeconfig, HOME: home }, input, encoding: "utf8", timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
}
