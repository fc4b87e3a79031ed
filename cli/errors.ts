/**
 * Errors a user of the command line can fix, and the one place that prints them. Messages say
 * what went wrong and what to do; they never carry a token or any other secret.
 */

/** A failure the user can fix (wrong flag, unreachable server, refused credentials). */
export class CLIError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CLIError";
  }
}

/**
 * Wraps a command's `run` so that a CLIError becomes one line on stderr and exit status 1, and
 * any other error a short message without a stack or request details.
 * @example run: guarded(async ({ args }) => { ... })
 */
export function guarded<C>(run: (ctx: C) => Promise<void>): (ctx: C) => Promise<void> {
  return async (ctx) => {
    try {
      await run(ctx);
    } catch (e) {
      const message = e instanceof CLIError ? e.message : `unexpected failure: ${e instanceof Error ? e.message : String(e)}`;
      process.stderr.write(`flotilla: ${message}\n`);
      process.exitCode = 1;
    }
  };
}
