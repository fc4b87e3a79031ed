/**
 * The errors kube-apiserver answers for patches it cannot apply. The codes follow
 * the apiserver's patch handler: decoding problems and malformed directives are 400,
 * a JSON patch that does not apply is 422 with a fixed message (the underlying reason
 * is not reported), and unexpected strategic-merge failures surface as 500.
 */
import { StatusError, errors } from "../../api/status";

/** The message apiserver uses for 422 responses it builds without a specific cause. */
export const UNPROCESSABLE_MESSAGE = "the server rejected our request due to an error in our request";

export const patchErrors = {
  /** 400: the body could not be decoded into the shape the patch type needs. */
  decode: (message: string) => errors.badRequest(message),
  /** 422: the patch was well-formed but could not be applied to the object. */
  unprocessable: () => new StatusError(422, "Invalid", UNPROCESSABLE_MESSAGE, {}),
  /** 500: a strategic merge patch the merge algorithm rejects outright. */
  mergeFailure: (message: string) => new StatusError(500, "InternalError", message),
  /** 413: more operations than apiserver accepts in one JSON patch. */
  tooManyOperations: (max: number, got: number) =>
    errors.tooLarge(`Request entity too large: The allowed maximum operations in a JSON patch is ${max}, got ${got}`),
};

/** Malformed strategic-merge directives, with apiserver's texts; all are 400. */
export const directiveErrors = {
  primitiveList: () => errors.badRequest("invalid patch format of primitive list"),
  retainKeys: () => errors.badRequest("invalid patch format of retainKeys"),
  setElementOrder: () => errors.badRequest("invalid patch format of setElementOrder list"),
};
