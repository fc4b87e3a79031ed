import type { LogRequest } from "../../src/relay/protocol";

export type { LogRequest };

/** Where a handler writes its answer; a write resolves once the relay may take more. */
export interface StreamOutput {
  write(chunk: string | Uint8Array): Promise<void>;
}

/**
 * What the agent serves over its relay. A handler writes its data to `out` and returns when it is
 * done; `signal` aborts when the client went away or the connection dropped, and writes then
 * reject. To refuse a request with a client error, throw a RelayRequestError before writing.
 */
export interface RelayHandlers {
  logs(req: LogRequest, out: StreamOutput, signal: AbortSignal): Promise<void>;
}
