/**
 * The grpc probe handler: one call of the standard health service
 * (`grpc.health.v1.Health/Check`) over plaintext HTTP/2, healthy when it answers SERVING.
 * The request and response messages are tiny, so they are encoded here by hand.
 */
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from "node:http2";
import { goQuote } from "./go-quote";
import { dialError, joinHostPort, PROBE_USER_AGENT } from "./probes-net";
import type { ProbeOutcome, ProbeTimers } from "./probes-types";

const CODE_NAMES = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated"];
const SERVING_STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];
const UNIMPLEMENTED = 12;
const DEADLINE_EXCEEDED = 4;

/** Asks `host:port` whether `service` ("" = the whole server) is serving; never rejects. */
export function grpcProbe(host: string, port: number, service: string, timeoutMs: number, timers: ProbeTimers): Promise<ProbeOutcome> {
  const addr = joinHostPort(host, port);
  const within = timeoutMs % 1000 === 0 ? `${timeoutMs / 1000}s` : `${timeoutMs}ms`;
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let session: ClientHttp2Session | undefined;
    const finish = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      session?.destroy();
      resolve(outcome);
    };
    const timer = timers.setTimeout(() => {
      const output = connected ? `timeout: health rpc did not complete within ${within}` : `timeout: failed to connect service ${goQuote(addr)} within ${within}: context deadline exceeded`;
      finish({ result: "failure", output });
    }, timeoutMs);

    session = connect(`http://${addr}`);
    session.on("error", (err: NodeJS.ErrnoException) => {
      if (!connected) finish({ result: "failure", output: `error: failed to connect service at ${goQuote(addr)}: ${dialError(addr, err, host)}` });
      else finish({ result: "failure", output: `error: health rpc probe failed: ${err.message}` });
    });
    session.on("connect", () => {
      connected = true;
      const stream = session!.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Check",
        "content-type": "application/grpc",
        te: "trailers",
        "user-agent": PROBE_USER_AGENT,
        "grpc-timeout": `${timeoutMs}m`,
      });
      const chunks: Buffer[] = [];
      let headers: IncomingHttpHeaders = {};
      let trailers: IncomingHttpHeaders = {};
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", (err) => finish({ result: "failure", output: `error: health rpc probe failed: ${err.message}` }));
      stream.on("end", () => finish(interpret(headers, trailers, Buffer.concat(chunks), within)));
      stream.end(frame(encodeRequest(service)));
    });
  });
}

function interpret(headers: IncomingHttpHeaders, trailers: IncomingHttpHeaders, body: Buffer, within: string): ProbeOutcome {
  const httpStatus = Number(headers[":status"] ?? 0);
  if (httpStatus !== 200) return rpcFailure(2, `unexpected HTTP status code received from server: ${httpStatus}`, within);
  // A call that fails at once answers with headers only ("trailers-only"), so look in both.
  const code = Number(trailers["grpc-status"] ?? headers["grpc-status"] ?? 2);
  const message = decodeGrpcMessage(String(trailers["grpc-message"] ?? headers["grpc-message"] ?? ""));
  if (code !== 0) return rpcFailure(code, message, within);
  const status = decodeResponseStatus(body.subarray(5));
  if (status !== 1) return { result: "failure", output: `service unhealthy (responded with ${goQuote(SERVING_STATUS[status] ?? String(status))})` };
  return { result: "success", output: "service healthy" };
}

function rpcFailure(code: number, message: string, within: string): ProbeOutcome {
  if (code === UNIMPLEMENTED) return { result: "failure", output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${message}` };
  if (code === DEADLINE_EXCEEDED) return { result: "failure", output: `timeout: health rpc did not complete within ${within}` };
  return { result: "failure", output: `error: health rpc probe failed: rpc error: code = ${CODE_NAMES[code] ?? `Code(${code})`} desc = ${message}` };
}

function decodeGrpcMessage(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** HealthCheckRequest { string service = 1; } */
function encodeRequest(service: string): Buffer {
  if (!service) return Buffer.alloc(0);
  const bytes = Buffer.from(service, "utf8");
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

/** The length-prefixed message framing of gRPC (uncompressed). */
function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** HealthCheckResponse { ServingStatus status = 1; } — 0 (UNKNOWN) when absent. */
function decodeResponseStatus(msg: Buffer): number {
  let i = 0;
  const read = (): number => {
    let value = 0;
    let shift = 0;
    while (i < msg.length) {
      const b = msg[i++];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
      shift += 7;
    }
    return value;
  };
  let status = 0;
  while (i < msg.length) {
    const tag = read();
    const wire = tag & 7;
    if (wire === 0) {
      const v = read();
      if (tag >>> 3 === 1) status = v;
    } else if (wire === 2) i += read();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else break;
  }
  return status;
}
