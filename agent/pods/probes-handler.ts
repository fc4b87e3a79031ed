/**
 * Runs one attempt of a probe's handler (exec, httpGet, tcpSocket or grpc) with its timeout, and
 * says what it found. Never rejects: every problem is an outcome.
 */
import { goQuote } from "./go-quote";
import type { Container } from "./pod-spec";
import { grpcProbe } from "./probes-grpc";
import { httpGetProbe } from "./probes-http";
import { MAX_PROBE_OUTPUT, resolvePort } from "./probes-net";
import { tcpSocketProbe } from "./probes-tcp";
import type { ProbeOutcome, ProbeTarget, ProbeTimers } from "./probes-types";

export interface HandlerContext {
  container: Container;
  target: ProbeTarget;
  timers: ProbeTimers;
  timeoutMs: number;
}

/** Runs the handler of `probe` once. */
export async function runProbeHandler(probe: any, ctx: HandlerContext): Promise<ProbeOutcome> {
  try {
    if (probe.exec) return await execProbe(probe.exec.command ?? [], ctx);
    if (probe.httpGet) {
      const port = resolvePort(probe.httpGet.port, ctx.container);
      return await httpGetProbe(probe.httpGet, hostOf(probe.httpGet.host, ctx), port, ctx.timeoutMs, ctx.timers);
    }
    if (probe.tcpSocket) {
      const port = resolvePort(probe.tcpSocket.port, ctx.container);
      return await tcpSocketProbe(hostOf(probe.tcpSocket.host, ctx), port, ctx.timeoutMs, ctx.timers);
    }
    if (probe.grpc) {
      const port = resolvePort(probe.grpc.port, ctx.container);
      return await grpcProbe(hostOf(undefined, ctx), port, probe.grpc.service ?? "", ctx.timeoutMs, ctx.timers);
    }
    return { result: "error", output: "probe has no handler (exec, httpGet, tcpSocket or grpc)" };
  } catch (e) {
    return { result: "error", output: (e as Error).message };
  }
}

/** The probe's own host, else the pod's IP. */
function hostOf(host: string | undefined, ctx: HandlerContext): string {
  if (host) return host;
  const ip = ctx.target.podIP();
  if (!ip) throw new Error("the pod has no IP address yet");
  return ip;
}

/**
 * Runs the command in the container: exit code 0 is healthy, and the output (stdout, then
 * stderr) is the message. A command still running at the timeout is a failure. A target that
 * gives up on its own timeout rejects with an error that says "timed out" (or has code
 * ETIMEDOUT), which counts the same.
 */
function execProbe(argv: string[], ctx: HandlerContext): Promise<ProbeOutcome> {
  const timedOut: ProbeOutcome = { result: "failure", output: `command ${goQuote(argv.join(" "))} timed out` };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      ctx.timers.clearTimeout(timer);
      resolve(outcome);
    };
    const timer = ctx.timers.setTimeout(() => finish(timedOut), ctx.timeoutMs);
    ctx.target.exec(argv, ctx.timeoutMs).then(
      (r) => {
        const output = `${r.stdout}${r.stderr}`.slice(0, MAX_PROBE_OUTPUT);
        finish({ result: r.code === 0 ? "success" : "failure", output });
      },
      (err: NodeJS.ErrnoException) => {
        if (err?.code === "ETIMEDOUT" || /timed out/i.test(String(err?.message))) finish(timedOut);
        else finish({ result: "error", output: String(err?.message ?? err) });
      },
    );
  });
}
