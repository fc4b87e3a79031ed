import { StatusError, type Status } from "../api/status";
import type { NodeRelay, OpenStreamBody } from "./node-relay";
import type { StreamKind, StreamRequests } from "./protocol";

/** The relay object of `node` in this deployment's cluster. */
export function relayFor(env: Env, node: string): DurableObjectStub<NodeRelay> {
  const cluster = env.CLUSTER_NAME || "default";
  return env.RELAY.get(env.RELAY.idFromName(`${cluster}/${node}`));
}

/**
 * Opens a stream to `node` through its relay and returns the agent's data; throws the Status
 * the relay answered with (503 when the agent is not connected, the agent's own refusals).
 * Cancelling the returned stream cancels the agent's work.
 *
 * @example const body = await openNodeStream(c.env, "n1", "logs", request)
 */
export async function openNodeStream<K extends StreamKind>(env: Env, node: string, kind: K, request: StreamRequests[K]): Promise<ReadableStream<Uint8Array>> {
  const body: OpenStreamBody<K> = { node, kind, request };
  const res = await relayFor(env, node).fetch("https://relay/streams", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  if (!res.ok || !res.body) throw StatusError.fromStatus((await res.json()) as Status);
  return res.body;
}
