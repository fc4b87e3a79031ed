/**
 * Kubernetes `Status` errors. Route handlers and the store throw (or return) these; the root
 * error handler is the only place that turns them into HTTP responses.
 */

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Expired"
  | "Invalid"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "TooManyRequests"
  | "Timeout"
  | "ServiceUnavailable"
  | "InternalError";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Success" | "Failure";
  message?: string;
  reason?: StatusReason | string;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = "StatusError";
  }

  toStatus(): Status {
    const s: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }

  static fromStatus(s: Status): StatusError {
    return new StatusError(s.code, (s.reason ?? "InternalError") as StatusReason, s.message ?? "", s.details);
  }
}

/** "deployments.apps" or "pods": how upstream names a resource in messages. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  badRequest: (message: string, details?: StatusDetails) => new StatusError(400, "BadRequest", message, details),
  unauthorized: () => new StatusError(401, "Unauthorized", "Unauthorized"),
  forbidden: (message: string, details?: StatusDetails) => new StatusError(403, "Forbidden", message, details),
  notFound: (resource: string, group: string, name: string) =>
    new StatusError(404, "NotFound", `${qualifiedResource(resource, group)} "${name}" not found`, { name, group, kind: resource }),
  notFoundPath: () => new StatusError(404, "NotFound", "the server could not find the requested resource", {}),
  alreadyExists: (resource: string, group: string, name: string) =>
    new StatusError(409, "AlreadyExists", `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group, kind: resource }),
  conflict: (resource: string, group: string, name: string, why: string) =>
    new StatusError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, {
      name,
      group,
      kind: resource,
    }),
  expired: (message: string) => new StatusError(410, "Expired", message),
  /** 422 Invalid; `kind` must be the Kind (kubectl prints `The <Kind> "<name>" is invalid`). */
  invalid: (kind: string, group: string, name: string, causes: StatusCause[]) =>
    new StatusError(
      422,
      "Invalid",
      `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${causes.map((c) => `${c.field ? `${c.field}: ` : ""}${c.message}`).join(", ")}`,
      { name, group, kind, causes },
    ),
  tooLarge: (message = "Request entity too large: limit is 3145728") => new StatusError(413, "RequestEntityTooLarge", message),
  unsupportedMediaType: (contentType: string) =>
    new StatusError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(contentType)})`),
  methodNotAllowed: (verb: string, what: string) => new StatusError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource (${verb} ${what})`),
  notAcceptable: (message: string) => new StatusError(406, "NotAcceptable", message),
  internal: (message: string) => new StatusError(500, "InternalError", `Internal error occurred: ${message}`),
};
