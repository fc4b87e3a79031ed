/**
 * The kernel settings service traffic needs:
 * - net.ipv4.ip_forward=1: DNATed packets from pods and from outside are routed on to endpoints.
 * - net.bridge.bridge-nf-call-iptables=1: the reply of a pod to another pod on the same bridge
 *   is bridged, not routed; only with this setting does it pass the packet filter, where
 *   conntrack turns its source back into the service address the client talked to. The setting
 *   exists once the br_netfilter module is loaded, so the module is loaded when it is missing.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CommandRunner } from "../runtime/command";

export interface ForwardingSysctlsOptions {
  runner: CommandRunner;
  /** Where the sysctl files are (default /proc/sys). */
  procSys?: string;
  log?: (line: string) => void;
}

const SETTINGS = [
  { path: "net/ipv4/ip_forward", module: undefined },
  { path: "net/bridge/bridge-nf-call-iptables", module: "br_netfilter" },
] as const;

/** Sets each to 1 when it is not; returns the ones it could not set (each also logged). */
export async function ensureForwardingSysctls(opts: ForwardingSysctlsOptions): Promise<string[]> {
  const root = opts.procSys ?? "/proc/sys";
  const failed: string[] = [];
  for (const s of SETTINGS) {
    const file = join(root, s.path);
    const name = s.path.replaceAll("/", ".");
    let current = await readFile(file, "utf8").catch(() => undefined);
    if (current === undefined && s.module) {
      const r = await opts.runner.run("modprobe", [s.module], { timeoutMs: 30_000 }).catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
      if (r.code !== 0) opts.log?.(`modprobe ${s.module} failed: ${r.stderr.trim()}`);
      current = await readFile(file, "utf8").catch(() => undefined);
    }
    if (current?.trim() === "1") continue;
    if (current === undefined) {
      opts.log?.(`cannot set ${name}=1: the kernel does not offer it`);
      failed.push(name);
      continue;
    }
    try {
      await writeFile(file, "1\n");
    } catch (e) {
      opts.log?.(`cannot set ${name}=1: ${(e as Error).message}`);
      failed.push(name);
    }
  }
  return failed;
}
