import { spawn } from "node:child_process";
import { constants } from "node:os";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Written to the command's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  /** After this long the command (and every process it started) is killed; the result has code 124. */
  timeoutMs?: number;
}

/** Runs a program with an argument vector (never through a shell) and collects its output. */
export interface CommandRunner {
  run(cmd: string, args: string[], opts?: CommandOptions): Promise<CommandResult>;
}

/** The exit code `timeout(1)` uses, so a timed-out command reads the same everywhere. */
export const TIMEOUT_EXIT_CODE = 124;

/**
 * The real runner. It resolves for any exit status (a signal-killed command reads as 128 + the
 * signal number, as in a shell) and rejects only when the program cannot be started.
 *
 * @example
 * const { code, stdout } = await spawnRunner.run("ctr", ["version"]);
 */
export const spawnRunner: CommandRunner = {
  run(cmd, args, opts = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        env: opts.env ? { ...process.env, ...opts.env } : process.env,
        stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        // Its own process group, so a timeout also ends the programs it started.
        detached: true,
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout?.on("data", (b: Buffer) => stdout.push(b));
      child.stderr?.on("data", (b: Buffer) => stderr.push(b));
      if (opts.input !== undefined && child.stdin) {
        child.stdin.on("error", () => {}); // the command may exit without reading its input
        child.stdin.end(opts.input);
      }

      let timedOut = false;
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              killGroup(child.pid);
            }, opts.timeoutMs);

      child.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({
          code: timedOut ? TIMEOUT_EXIT_CODE : (code ?? 128 + signalNumber(signal)),
          stdout: Buffer.concat(stdout).toString("utf8"),
          stderr: Buffer.concat(stderr).toString("utf8"),
        });
      });
    });
  },
};

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  return constants.signals[signal] ?? 0;
}
