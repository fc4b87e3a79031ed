import type { ApiContext } from "../api/context";
import { errors } from "../api/status";
import { nodeIdentity } from "../auth/node-authorizer";
import { RELAY_SUBPROTOCOL } from "./protocol";
import { relayFor } from "./node-streams";

/** Where an agent dials its relay: `GET /flotilla/v1/nodes/<node>/relay` (WebSocket). */
export const RELAY_CONNECT_PATH = "/flotilla/v1/nodes/:node/relay";

/**
 * Hands an agent's WebSocket to its node's relay. Only the node itself may connect (its
 * credential, user system:node:<node>), so nobody can stand in for a node and receive its
 * traffic; the authentication middleware has already refused requests without a valid token.
 *
 * @example app.get(RELAY_CONNECT_PATH, connectRelay)
 */
export async function connectRelay(c: ApiContext): Promise<Response> {
  const node = c.req.param("node") ?? "";
  const user = c.get("user");
  if (nodeIdentity(user) !== node) {
    throw errors.forbidden(`forbidden: User ${JSON.stringify(user.name)} cannot connect the relay of node ${JSON.stringify(node)}: only the node itself may`, {});
  }
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw errors.badRequest("the relay is a WebSocket endpoint: send Upgrade: websocket");
  const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
  if (!offered.includes(RELAY_SUBPROTOCOL)) throw errors.badRequest(`the relay speaks the WebSocket subprotocol ${RELAY_SUBPROTOCOL}, which the client did not offer`);
  return relayFor(c.env, node).fetch("https://relay/connect", { headers: { upgrade: "websocket" } });
}
