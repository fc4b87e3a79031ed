/**
 * The node credential on disk, so an agent that restarts is still the same node without a new
 * bootstrap token. The file holds a secret: mode 0600 in a 0700 folder, written atomically.
 */
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What joining yields: where the API server is, how to trust it, and the node's token. */
export interface NodeCredential {
  server: string;
  /** The CA to trust; absent when the server has a publicly trusted certificate. */
  caPem?: string;
  token: string;
  nodeName: string;
  /** RFC 3339. */
  expirationTimestamp: string;
}

export const CREDENTIAL_FILE = "credential.json";

export function credentialPath(dataDir: string): string {
  return join(dataDir, CREDENTIAL_FILE);
}

/** The same server however it was typed: no trailing slash, default port dropped. */
export function normalizeServer(server: string): string {
  const url = new URL(server);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

function isCredential(v: unknown): v is NodeCredential {
  const c = v as Partial<NodeCredential> | undefined;
  return !!c && typeof c.server === "string" && typeof c.token === "string" && !!c.token && typeof c.nodeName === "string" && typeof c.expirationTimestamp === "string";
}

/** The saved credential, or undefined when there is none (or it is unreadable). */
export async function loadCredential(dataDir: string): Promise<NodeCredential | undefined> {
  let text: string;
  try {
    text = await readFile(credentialPath(dataDir), "utf8");
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isCredential(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Saves the credential (replacing any other) where only this user can read it. */
export async function saveCredential(dataDir: string, cred: NodeCredential): Promise<string> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // The agent's folder is its own; a shared one (sticky, like /tmp) is not ours to close.
  if (!((await stat(dataDir)).mode & 0o1000)) await chmod(dataDir, 0o700);
  const path = credentialPath(dataDir);
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(cred, null, 2) + "\n", { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}
