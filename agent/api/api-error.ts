/**
 * Failures of calls to the API server: a Kubernetes `Status` answer becomes an ApiError; socket
 * and timeout failures stay Node errors with their `code`. `isUnreachable` sorts out the ones
 * that mean "the control plane is away, try again later".
 */

/** Status reasons for answers that carry no Status body (a proxy's page, an empty reply). */
const REASON_BY_CODE: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  406: "NotAcceptable",
  409: "Conflict",
  410: "Gone",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/**
 * An answer outside 2xx, or an ERROR event of a watch. `reason` and `details` come from the
 * server's Status when there is one; `body` is the parsed answer (or its text).
 *
 * @example
 * try { await client.get("/api/v1/nodes/n1") } catch (e) { if (e instanceof ApiError && e.status === 404) ... }
 */
export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly details?: unknown;
  readonly body: unknown;

  constructor(status: number, reason: string, message: string, body?: unknown, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.reason = reason;
    this.body = body;
    this.details = details;
  }

  /** The error an answer with this status code and body stands for. */
  static fromResponse(status: number, body: unknown, what: string): ApiError {
    const s = isStatus(body) ? body : undefined;
    const reason = typeof s?.reason === "string" && s.reason ? s.reason : (REASON_BY_CODE[status] ?? "Unknown");
    const message = typeof s?.message === "string" && s.message ? s.message : `${what}: HTTP ${status} ${reason}`;
    return new ApiError(status, reason, message, body, s?.details);
  }

  /** The error an ERROR watch event carries (its object is a Status). */
  static fromWatchError(object: unknown, what: string): ApiError {
    const code = isStatus(object) && typeof object.code === "number" ? object.code : 500;
    return ApiError.fromResponse(code, object, what);
  }
}

function isStatus(v: unknown): v is Record<string, any> {
  return !!v && typeof v === "object" && (v as Record<string, unknown>).kind === "Status";
}

/** Socket-level failures that mean the server (or the way to it) is down, not that we are wrong. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
]);

/**
 * Whether a failure means the control plane is away (connection refused, reset or timed out, a
 * name that does not resolve, a 5xx answer) rather than a request it refuses for good.
 *
 * @example if (isUnreachable(err)) await pause(backoff.next(), signal)
 */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof ApiError) return err.status >= 500;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && UNREACHABLE_CODES.has(code);
}
