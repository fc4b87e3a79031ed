import type { CommandResult, CommandRunner } from "../runtime/command";
import type { CniResult } from "./cni-result";
import { pluginStdinConfig, type CniNetworkConfigList, type CniRuntimeConfig } from "./cni-network-config";
import { DEFAULT_COMMAND_TIMEOUT_MS } from "./run-checked";

/** Who the network is being set up for. */
export interface CniTarget {
  readonly containerId: string;
  readonly netnsPath: string;
  readonly ifName: string;
}

export interface CniChainOptions {
  readonly runner: CommandRunner;
  /** Where the plugin binaries live; also CNI_PATH, so bridge finds host-local there. */
  readonly binDir: string;
}

/** A plugin failed; code and msg are the plugin's own error report when it printed one. */
export class CniPluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: "ADD" | "DEL",
    readonly code: number | undefined,
    detail: string,
  ) {
    super(`CNI ${command} of plugin ${plugin} failed${code === undefined ? "" : ` (code ${code})`}: ${detail}`);
    this.name = "CniPluginError";
  }
}

// The plugins run iptables by name: PATH is set explicitly so they find it even in a bare environment.
const FALLBACK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

async function invoke(
  opts: CniChainOptions,
  command: "ADD" | "DEL",
  type: string,
  target: CniTarget,
  stdin: Record<string, unknown>,
): Promise<CommandResult> {
  const env: Record<string, string> = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: target.containerId,
    CNI_NETNS: target.netnsPath,
    CNI_IFNAME: target.ifName,
    CNI_PATH: opts.binDir,
    PATH: process.env.PATH ?? FALLBACK_PATH,
  };
  const result = await opts.runner.run(`${opts.binDir}/${type}`, [], {
    input: JSON.stringify(stdin),
    env,
    timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
  });
  if (result.code !== 0) throw pluginError(type, command, result);
  return result;
}

function pluginError(type: string, command: "ADD" | "DEL", result: CommandResult): CniPluginError {
  try {
    const report = JSON.parse(result.stdout) as { code?: number; msg?: string; details?: string };
    if (typeof report.msg === "string") {
      const detail = report.details ? `${report.msg}: ${report.details}` : report.msg;
      return new CniPluginError(type, command, report.code, detail);
    }
  } catch {
    // not a CNI error report; fall back to what the process printed
  }
  const printed = (result.stderr || result.stdout).trim() || `exit status ${result.code}`;
  return new CniPluginError(type, command, undefined, printed);
}

/** Runs ADD through every plugin of the list in order, each given the previous one's result. */
export async function cniAdd(
  opts: CniChainOptions,
  list: CniNetworkConfigList,
  target: CniTarget,
  runtimeConfig: CniRuntimeConfig,
): Promise<CniResult> {
  let prevResult: CniResult | undefined;
  for (const plugin of list.plugins) {
    const stdin = pluginStdinConfig(list, plugin, runtimeConfig, prevResult);
    const { stdout } = await invoke(opts, "ADD", plugin.type, target, stdin);
    prevResult = JSON.parse(stdout) as CniResult;
  }
  if (!prevResult) throw new Error(`CNI network ${list.name} has no plugins`);
  return prevResult;
}

/**
 * Runs DEL through the plugins in reverse order. Every plugin gets its turn even when an earlier
 * one fails (each DEL is idempotent, so a retry is safe); the failures are thrown together at
 * the end.
 */
export async function cniDel(
  opts: CniChainOptions,
  list: CniNetworkConfigList,
  target: CniTarget,
  runtimeConfig: CniRuntimeConfig,
  prevResult?: CniResult,
): Promise<void> {
  const failures: unknown[] = [];
  for (const plugin of [...list.plugins].reverse()) {
    const stdin = pluginStdinConfig(list, plugin, runtimeConfig, prevResult);
    try {
      await invoke(opts, "DEL", plugin.type, target, stdin);
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `CNI DEL for ${target.containerId} failed in ${failures.length} plugins`);
}
