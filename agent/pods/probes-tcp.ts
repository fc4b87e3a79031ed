/** The tcpSocket probe handler: healthy when a TCP connection opens within the timeout. */
import { connect } from "node:net";
import { dialError, joinHostPort } from "./probes-net";
import type { ProbeOutcome, ProbeTimers } from "./probes-types";

/** Opens and closes one connection to `host:port`; never rejects. */
export function tcpSocketProbe(host: string, port: number, timeoutMs: number, timers: ProbeTimers): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host, port });
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = timers.setTimeout(() => finish({ result: "failure", output: `dial tcp ${addr}: i/o timeout` }), timeoutMs);
    socket.on("connect", () => finish({ result: "success", output: "" }));
    socket.on("error", (err: NodeJS.ErrnoException) => finish({ result: "failure", output: dialError(addr, err, host) }));
  });
}
