import type { CommandOptions, CommandResult, CommandRunner } from "../runtime/command";

/** A host command the sandbox needed exited non-zero; the message carries its stderr. */
export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly result: CommandResult,
  ) {
    const detail = (result.stderr || result.stdout).trim();
    super(`${[command, ...args].join(" ")} exited with ${result.code}${detail ? `: ${detail}` : ""}`);
    this.name = "CommandFailedError";
  }
}

/** Host networking commands answer within milliseconds; a minute means something is stuck. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** Runs a command and throws a {@link CommandFailedError} unless it exits 0. */
export async function runChecked(
  runner: CommandRunner,
  command: string,
  args: string[],
  opts: CommandOptions = {},
): Promise<CommandResult> {
  const result = await runner.run(command, args, { timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS, ...opts });
  if (result.code !== 0) throw new CommandFailedError(command, args, result);
  return result;
}
