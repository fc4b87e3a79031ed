import { rm, writeFile } from "node:fs/promises";
import type { CommandRunner } from "../runtime/command";
import { isMountPoint } from "./mount-points";
import { runChecked } from "./run-checked";

/*
 * A pod's containers share one hostname through a UTS namespace that outlives any of them: it
 * is bind-mounted onto a file, and each container joins it by that path.
 */

/** Makes a UTS namespace kept alive by `file` with the given hostname. */
export async function createUtsNamespace(runner: CommandRunner, file: string, hostname: string): Promise<void> {
  await removeUtsNamespace(runner, file);
  await writeFile(file, "", { flag: "wx" });
  // unshare binds the new namespace onto the file, then runs `hostname` inside it.
  await runChecked(runner, "unshare", [`--uts=${file}`, "hostname", hostname]);
}

export function utsNamespaceExists(file: string): Promise<boolean> {
  return isMountPoint(file);
}

/** The hostname seen inside the namespace. */
export async function readUtsHostname(runner: CommandRunner, file: string): Promise<string> {
  const { stdout } = await runChecked(runner, "nsenter", [`--uts=${file}`, "hostname"]);
  return stdout.trim();
}

export async function setUtsHostname(runner: CommandRunner, file: string, hostname: string): Promise<void> {
  await runChecked(runner, "nsenter", [`--uts=${file}`, "hostname", hostname]);
}

/** Unmounts and deletes the file; the namespace itself ends with the last process in it. Idempotent. */
export async function removeUtsNamespace(runner: CommandRunner, file: string): Promise<void> {
  if (await isMountPoint(file)) await runChecked(runner, "umount", [file]);
  await rm(file, { force: true });
}
