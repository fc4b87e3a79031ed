import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { CommandRunner } from "../runtime/command";
import { isMountPoint } from "./mount-points";
import { runChecked } from "./run-checked";

/** Where `ip netns` keeps its named network namespaces. */
export const NETNS_DIR = "/var/run/netns";

export function netnsPath(name: string): string {
  return join(NETNS_DIR, name);
}

/** Creates a named network namespace with its loopback up (a new namespace starts with lo down). */
export async function addNetworkNamespace(runner: CommandRunner, name: string): Promise<void> {
  await runChecked(runner, "ip", ["netns", "add", name]);
  await runChecked(runner, "ip", ["-n", name, "link", "set", "lo", "up"]);
}

/** Whether the named namespace exists and is live. */
export function networkNamespaceExists(name: string): Promise<boolean> {
  return isMountPoint(netnsPath(name));
}

/** Deletes the named namespace; a stale plain file of that name is removed too. Idempotent. */
export async function deleteNetworkNamespace(runner: CommandRunner, name: string): Promise<void> {
  if (await isMountPoint(netnsPath(name))) {
    await runChecked(runner, "ip", ["netns", "delete", name]);
    return;
  }
  await rm(netnsPath(name), { force: true });
}

/** Whether the file of the named namespace exists at all, live or stale. */
export async function networkNamespaceFileExists(name: string): Promise<boolean> {
  return stat(netnsPath(name)).then(
    () => true,
    () => false,
  );
}

/** The names of all named network namespaces on the host. */
export async function listNetworkNamespaces(): Promise<string[]> {
  try {
    return await readdir(NETNS_DIR);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}
