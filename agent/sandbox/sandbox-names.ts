import { createHash } from "node:crypto";

/*
 * Everything a sandbox leaves on the host (netns file, CNI container id, iptables comments) is
 * named "<prefix>_<id>". A prefix never contains "_", so splitting at the first "_" tells which
 * agent owns a name even when several agents share the machine.
 */

const PREFIX = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
const SANDBOX_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const SEPARATOR = "_";

export function assertValidPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) {
    throw new Error(`invalid sandbox prefix "${prefix}": use 1-32 lowercase letters, digits and inner "-"`);
  }
}

export function isValidSandboxId(id: string): boolean {
  return SANDBOX_ID.test(id);
}

export function assertValidSandboxId(id: string): void {
  if (!isValidSandboxId(id)) {
    throw new Error(`invalid sandbox id "${id}": use 1-64 letters, digits, "_", "." and "-", starting alphanumeric`);
  }
}

/** The network namespace name and CNI container id of a sandbox. */
export function sandboxKey(prefix: string, id: string): string {
  return `${prefix}${SEPARATOR}${id}`;
}

/** The sandbox id inside a name made by {@link sandboxKey} for this prefix, else undefined. */
export function sandboxIdFromKey(prefix: string, key: string): string | undefined {
  const head = `${prefix}${SEPARATOR}`;
  if (!key.startsWith(head)) return undefined;
  const id = key.slice(head.length);
  return isValidSandboxId(id) ? id : undefined;
}

/** The CNI network name; the plugins write it into iptables comments and the IPAM folder name. */
export function cniNetworkName(prefix: string): string {
  return `flotilla-${prefix}`;
}

/**
 * The bridge's interface name. Linux caps interface names at 15 characters, so a long prefix is
 * replaced by a digest of itself.
 */
export function defaultBridgeName(prefix: string): string {
  const plain = `fl-${prefix}`;
  if (plain.length <= 15) return plain;
  return `fl-${createHash("sha256").update(prefix).digest("hex").slice(0, 12)}`;
}

export function assertValidInterfaceName(name: string): void {
  if (!INTERFACE_NAME.test(name) || name === "." || name === "..") {
    throw new Error(`invalid interface name "${name}": at most 15 letters, digits, "_", "." and "-"`);
  }
}
