import { StatusError, type StatusReason } from "../api/status";

const REASONS: Record<number, StatusReason> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  410: "Gone",
  422: "Invalid",
  429: "TooManyRequests",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/**
 * The Status for an answer the relay or the agent gave with an HTTP code; codes outside the
 * client-error range that have no reason of their own are internal errors.
 * @example relayError(400, 'previous terminated container "app" in pod "web" not found')
 */
export function relayError(code: number, message: string): StatusError {
  const known = REASONS[code];
  if (known) return new StatusError(code, known, message);
  if (code >= 400 && code < 500) return new StatusError(code, "BadRequest", message);
  return new StatusError(code >= 500 && code < 600 ? code : 500, "InternalError", message);
}
