/**
 * What went wrong, as far as the caller needs to tell apart:
 * - NotFound: the image, container or task does not exist;
 * - AlreadyExists: a container (or its snapshot) with that id exists;
 * - ExecNotFound: the program to run is not in the image (kubelet's CreateContainerError case);
 * - Other: anything else.
 */
export type CtrErrorKind = "NotFound" | "AlreadyExists" | "ExecNotFound" | "Other";

/** A failed `ctr` command. `message` is ctr's own error text. */
export class CtrError extends Error {
  override readonly name = "CtrError";
  constructor(
    message: string,
    readonly kind: CtrErrorKind,
    /** The arguments ctr was called with (after the global options). */
    readonly args: readonly string[],
    readonly exitCode: number,
    /** ctr's whole stderr, including log lines. */
    readonly stderr: string,
  ) {
    super(message);
  }

  /** Builds the error for a failed ctr call from its stderr. */
  static fromOutput(args: readonly string[], exitCode: number, stderr: string): CtrError {
    const message = errorMessage(stderr) || `ctr ${args.join(" ")} exited with code ${exitCode}`;
    return new CtrError(message, classifyCtrError(message), args, exitCode, stderr);
  }
}

/** ctr ends with one "ctr: <error>" line; before it may come log lines (time="…" level=…). */
export function errorMessage(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const final = lines.filter((l) => l.startsWith("ctr: ")).pop();
  return final ? final.slice("ctr: ".length) : lines.join("\n");
}

/** Classifies ctr's message. The OCI runtime's error is checked first: it ends in ": unknown". */
export function classifyCtrError(message: string): CtrErrorKind {
  if (/executable file not found|exec: "[^"]*": stat [^:]*: no such file or directory/.test(message)) return "ExecNotFound";
  if (/already exists/.test(message)) return "AlreadyExists";
  if (/not found/i.test(message)) return "NotFound";
  return "Other";
}
