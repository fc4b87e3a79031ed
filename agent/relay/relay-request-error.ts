/**
 * A request the node refuses, with the HTTP status the client should see: a log request for a
 * container that does not exist is a 400, for instance. Anything else a handler throws is
 * answered as a 500 with its message.
 *
 * @example throw new RelayRequestError(400, `container "app" in pod "web" is waiting to start: ContainerCreating`)
 */
export class RelayRequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "RelayRequestError";
  }
}
