/** Why joining failed, in a form a CLI can branch on (`code`) and show as is (`message`). */
export type JoinErrorCode =
  | "NoToken"
  | "BadToken"
  | "BadServer"
  | "CaMismatch"
  | "CaInvalid"
  | "Untrusted"
  | "TokenRejected"
  | "Refused"
  | "Unreachable"
  | "BadAnswer"
  | "CredentialExpired";

/**
 * A join that cannot go on; the message says what to do about it and never holds a secret.
 * @example throw new JoinError("TokenRejected", "the bootstrap token is unknown or has expired; ...")
 */
export class JoinError extends Error {
  readonly code: JoinErrorCode;

  constructor(code: JoinErrorCode, message: string) {
    super(message);
    this.name = "JoinError";
    this.code = code;
  }
}
