import { describe, expect, it } from "vitest";
import { RelayRequestError, type LogRequest, type RelayHandlers, type StreamOutput } from "../../agent/relay/relay-client";
import { StreamServer } from "../../agent/relay/stream-server";
import { CHANNEL, decodeControl, decodeData, encodeControl, encodeData, MAX_CHUNK_BYTES, type ControlMessage } from "../../src/relay/protocol";
import { RelaySession } from "../../src/relay/relay-session";

const request: LogRequest = { namespace: "default", pod: "web", podUid: "u1", container: "app", follow: true, previous: false, timestamps: false };
const dec = new TextDecoder();
const tick = () => new Promise((r) => setTimeout(r, 0));

type Sent = { control: ControlMessage } | { id: number; channel: number; text: string };

function harness(logs: RelayHandlers["logs"], acceptAfterMs = 1000) {
  const sent: Sent[] = [];
  const logged: string[] = [];
  const server = new StreamServer({
    send(frame) {
      if (typeof frame === "string") sent.push({ control: decodeControl(frame)! });
      else {
        const d = decodeData(frame)!;
        sent.push({ id: d.id, channel: d.channel, text: dec.decode(d.payload) });
      }
    },
    handlers: { logs },
    acceptAfterMs,
    log: (l) => logged.push(l),
  });
  const open = (id: number, window = 1 << 20) => server.receive(encodeControl({ t: "open", id, kind: "logs", request, window }));
  const controls = () => sent.flatMap((s) => ("control" in s ? [s.control] : []));
  return { server, sent, logged, open, controls, send: (m: ControlMessage) => server.receive(encodeControl(m)) };
}

describe("StreamServer", () => {
  it("runs the handler for an open, accepts on the first write and ends when it returns", async () => {
    let seen: LogRequest | undefined;
    const h = harness(async (req, out) => {
      seen = req;
      await out.write("hello\n");
      await out.write(new TextEncoder().encode("world\n"));
    });
    h.open(3);
    await tick();
    expect(seen).toEqual(request);
    expect(h.sent).toEqual([
      { control: { t: "accept", id: 3 } },
      { id: 3, channel: CHANNEL.stdout, text: "hello\n" },
      { id: 3, channel: CHANNEL.stdout, text: "world\n" },
      { control: { t: "end", id: 3 } },
    ]);
    expect(h.server.size).toBe(0);
  });

  it("answers a RelayRequestError before any output with its code, and no accept", async () => {
    const h = harness(async () => {
      throw new RelayRequestError(400, 'previous terminated container "app" in pod "web" not found');
    });
    h.open(1);
    await tick();
    expect(h.controls()).toEqual([{ t: "error", id: 1, code: 400, message: 'previous terminated container "app" in pod "web" not found' }]);
    expect(h.logged).toEqual([]);
  });

  it("answers any other failure, even a synchronous throw, as a 500 and logs it", async () => {
    const h = harness((() => {
      throw new Error("ctr is not installed");
    }) as unknown as RelayHandlers["logs"]);
    h.open(1);
    await tick();
    expect(h.controls()).toEqual([{ t: "error", id: 1, code: 500, message: "ctr is not installed" }]);
    expect(h.logged).toEqual(["logs request for default/web failed: ctr is not installed"]);
  });

  it("accepts for a handler that is quiet for a while (logs -f of a silent container)", async () => {
    const h = harness((_req, _out, signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve())), 20);
    h.open(5);
    await tick();
    expect(h.controls()).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(h.controls()).toEqual([{ t: "accept", id: 5 }]);
    h.send({ t: "cancel", id: 5 });
    await tick();
    expect(h.controls()).toEqual([{ t: "accept", id: 5 }]);
  });

  it("aborts the handler on cancel, after which writes fail and nothing more is sent", async () => {
    let out!: StreamOutput;
    let signal!: AbortSignal;
    let finished: unknown;
    const h = harness(async (_req, o, s) => {
      out = o;
      signal = s;
      await new Promise((r) => s.addEventListener("abort", r));
      finished = await o.write("after cancel\n").catch((e: Error) => e.message);
    });
    h.open(2);
    await tick();
    await out.write("line\n");
    h.send({ t: "cancel", id: 2, reason: "the client went away" });
    await tick();
    expect(signal.aborted).toBe(true);
    expect(finished).toBe("cancelled by the control plane: the client went away");
    expect(h.sent.at(-1)).toEqual({ id: 2, channel: 1, text: "line\n" });
    expect(h.server.size).toBe(0);
  });

  it("waits for credit when the window is used up", async () => {
    let wrote = false;
    const h = harness(async (_req, out) => {
      await out.write("x".repeat(10));
      wrote = true;
    });
    h.open(4, 6);
    await tick();
    expect(h.sent.filter((s) => "text" in s).map((s) => ("text" in s ? s.text : ""))).toEqual(["xxxxxx"]);
    expect(wrote).toBe(false);
    h.send({ t: "credit", id: 4, bytes: 3 });
    await tick();
    expect(wrote).toBe(false);
    h.send({ t: "credit", id: 4, bytes: 100 });
    await tick();
    expect(wrote).toBe(true);
    expect(h.sent.filter((s) => "text" in s).map((s) => ("text" in s ? s.text : ""))).toEqual(["xxxxxx", "xxx", "x"]);
    expect(h.controls().at(-1)).toEqual({ t: "end", id: 4 });
  });

  it("aborts every handler when the connection closes", async () => {
    const signals: AbortSignal[] = [];
    const h = harness((_req, _out, s) => {
      signals.push(s);
      return new Promise((r) => s.addEventListener("abort", () => r()));
    });
    h.open(1);
    h.open(2);
    await tick();
    h.server.closeAll("the relay connection closed");
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect((signals[0].reason as Error).message).toBe("the relay connection closed");
    await tick();
    expect(h.server.size).toBe(0);
  });

  it("refuses a second open with an id in use, and drops junk", async () => {
    const h = harness((_req, _out, s) => new Promise((r) => s.addEventListener("abort", () => r())));
    h.open(1);
    h.open(1);
    h.server.receive("{{{");
    h.server.receive(encodeData(77, CHANNEL.stdin, new Uint8Array([1])));
    await tick();
    expect(h.controls()).toEqual([
      { t: "error", id: 1, code: 409, message: "stream 1 is already open" },
      { t: "cancel", id: 77, reason: "unknown stream" },
    ]);
    expect(h.logged).toEqual(["dropped a malformed relay message"]);
    h.server.closeAll("done");
  });
});

describe("RelaySession and StreamServer together", () => {
  it("carries a large answer intact without ever exceeding the window", async () => {
    const window = 64 * 1024;
    const total = 1_000_000;
    let session!: RelaySession;
    let inFlight = 0;
    let maxInFlight = 0;
    const server = new StreamServer({
      send: (frame) => {
        if (typeof frame !== "string") {
          inFlight += frame.byteLength - 6;
          maxInFlight = Math.max(maxInFlight, inFlight);
        }
        queueMicrotask(() => session.receive(frame));
      },
      handlers: {
        async logs(_req, out) {
          for (let i = 0; i < total; i += 10_000) await out.write(String((i / 10_000) % 10).repeat(10_000));
        },
      },
    });
    session = new RelaySession({
      window,
      send: (frame) => {
        if (typeof frame === "string") {
          const m = decodeControl(frame);
          if (m?.t === "credit") inFlight -= m.bytes;
        }
        queueMicrotask(() => server.receive(frame));
      },
    });
    const res = await session.open("logs", request);
    if (!res.ok) throw new Error(res.message);
    const reader = res.body.getReader();
    let received = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      expect(value.byteLength).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
      received += dec.decode(value);
      await tick();
    }
    expect(received.length).toBe(total);
    expect(received.slice(0, 3)).toBe("000");
    expect(received.slice(-3)).toBe("999");
    expect(maxInFlight).toBeLessThanOrEqual(window);
  });
});
