import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CniNetworkConfigList, CniRuntimeConfig } from "./cni-network-config";
import type { CniResult } from "./cni-result";
import type { SandboxSpec } from "./sandbox-spec";
import { isValidSandboxId } from "./sandbox-names";

/**
 * What the agent must remember about a sandbox to tear it down after its own restart: CNI DEL
 * needs the very network config, runtime config and result that ADD had.
 */
export interface SandboxState {
  readonly version: 1;
  readonly id: string;
  /** "creating" until every part exists; a sandbox found in that phase is half-made. */
  readonly phase: "creating" | "ready";
  readonly spec: SandboxSpec;
  /** Network namespace name and CNI container id. */
  readonly key: string;
  readonly networkConfig: CniNetworkConfigList;
  readonly runtimeConfig: CniRuntimeConfig;
  readonly cniResult?: CniResult;
  readonly ip?: string;
}

const SUFFIX = ".json";

/** One JSON file per sandbox, `<dir>/<id>.json`, replaced atomically. */
export class SandboxStateStore {
  constructor(readonly dir: string) {}

  fileOf(id: string): string {
    return join(this.dir, `${id}${SUFFIX}`);
  }

  /** The saved state, or undefined when there is none or it cannot be read as state. */
  async read(id: string): Promise<SandboxState | undefined> {
    let text: string;
    try {
      text = await readFile(this.fileOf(id), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      const state = JSON.parse(text) as SandboxState;
      return state.version === 1 && state.id === id ? state : undefined;
    } catch {
      return undefined; // a torn write from before atomic replace, or a hand edit: treat as lost
    }
  }

  async write(state: SandboxState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileOf(state.id);
    const temp = `${file}.tmp`;
    await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
    await rename(temp, file);
  }

  async delete(id: string): Promise<void> {
    await rm(this.fileOf(id), { force: true });
    await rm(`${this.fileOf(id)}.tmp`, { force: true });
  }

  /** Ids with a state file. */
  async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    return names
      .filter((name) => name.endsWith(SUFFIX))
      .map((name) => name.slice(0, -SUFFIX.length))
      .filter(isValidSandboxId);
  }
}
