import { describe, expect, it } from "vitest";
import { CHANNEL, decodeControl, encodeControl, encodeData, type ControlMessage, type LogRequest } from "../../src/relay/protocol";
import { RelaySession, type OpenResult } from "../../src/relay/relay-session";

const request: LogRequest = { namespace: "default", pod: "web", podUid: "u1", container: "app", follow: false, previous: false, timestamps: false };
const enc = new TextEncoder();
const dec = new TextDecoder();

/** A session whose frames to the agent are collected (control messages decoded). */
function harness(opts: { window?: number; acceptTimeoutMs?: number; firstId?: number } = {}) {
  const sent: ControlMessage[] = [];
  let broken = false;
  const session = new RelaySession({
    ...opts,
    send(frame) {
      if (broken) throw new Error("socket closed");
      if (typeof frame === "string") sent.push(decodeControl(frame)!);
    },
  });
  return {
    session,
    sent,
    breakSocket: () => (broken = true),
    lastOpen: () => [...sent].reverse().find((m) => m.t === "open") as Extract<ControlMessage, { t: "open" }>,
    from: (m: ControlMessage) => session.receive(encodeControl(m)),
    data: (id: number, text: string) => session.receive(encodeData(id, CHANNEL.stdout, enc.encode(text))),
  };
}

async function readAll(r: OpenResult): Promise<string> {
  if (!r.ok) throw new Error(r.message);
  return new Response(r.body).text();
}

describe("RelaySession", () => {
  it("opens a stream, waits for the agent's accept, then streams its data until end", async () => {
    const h = harness({ window: 1000, firstId: 41 });
    const pending = h.session.open("logs", request);
    expect(h.sent).toEqual([{ t: "open", id: 41, kind: "logs", request, window: 1000 }]);
    h.from({ t: "accept", id: 41 });
    const res = await pending;
    expect(res.ok).toBe(true);
    h.data(41, "one\n");
    h.data(41, "two\n");
    h.from({ t: "end", id: 41 });
    expect(await readAll(res)).toBe("one\ntwo\n");
    expect(h.session.size).toBe(0);
  });

  it("gives the agent's refusal back as a status", async () => {
    const h = harness();
    const pending = h.session.open("logs", request);
    h.from({ t: "error", id: h.lastOpen().id, code: 400, message: "container app is not running" });
    expect(await pending).toEqual({ ok: false, code: 400, message: "container app is not running" });
    expect(h.session.size).toBe(0);
  });

  it("treats data or end before accept as an accept", async () => {
    const h = harness();
    const pending = h.session.open("logs", request);
    const id = h.lastOpen().id;
    h.data(id, "early\n");
    h.from({ t: "end", id });
    expect(await readAll(await pending)).toBe("early\n");
  });

  it("gives up on an agent that does not answer, and tells it so", async () => {
    const h = harness({ acceptTimeoutMs: 20 });
    const res = await h.session.open("logs", request);
    expect(res).toEqual({ ok: false, code: 504, message: "the node did not answer within 0s" });
    expect(h.sent.at(-1)).toMatchObject({ t: "cancel", id: h.lastOpen().id });
    expect(h.session.size).toBe(0);
  });

  it("cancels the agent's stream when the reader goes away", async () => {
    const h = harness();
    const pending = h.session.open("logs", request);
    const id = h.lastOpen().id;
    h.from({ t: "accept", id });
    const res = await pending;
    if (!res.ok) throw new Error("expected a stream");
    await res.body.cancel();
    expect(h.sent.at(-1)).toEqual({ t: "cancel", id, reason: "the client went away" });
    h.data(id, "late\n");
    expect(h.sent.at(-1)).toEqual({ t: "cancel", id, reason: "unknown stream" });
  });

  it("answers frames of unknown streams with cancel, and never loops on cancel, end or error", () => {
    const h = harness();
    h.data(99, "x");
    h.from({ t: "credit", id: 98, bytes: 5 });
    h.from({ t: "accept", id: 97 });
    expect(h.sent).toEqual([
      { t: "cancel", id: 99, reason: "unknown stream" },
      { t: "cancel", id: 98, reason: "unknown stream" },
      { t: "cancel", id: 97, reason: "unknown stream" },
    ]);
    h.from({ t: "cancel", id: 96 });
    h.from({ t: "end", id: 95 });
    h.from({ t: "error", id: 94, code: 500, message: "x" });
    h.session.receive("garbage");
    h.session.receive(new Uint8Array([7, 7, 7]));
    expect(h.sent).toHaveLength(3);
  });

  it("fails pending opens with 503 and ends open streams when the socket goes, and refuses new streams after", async () => {
    const h = harness();
    const waiting = h.session.open("logs", request);
    const streaming = h.session.open("logs", request);
    h.from({ t: "accept", id: h.lastOpen().id });
    const res = await streaming;
    if (!res.ok) throw new Error("expected a stream");
    const reader = res.body.getReader();
    h.session.close("the node's relay connection closed");
    expect(await waiting).toEqual({ ok: false, code: 503, message: "the node's relay connection closed" });
    expect(await reader.read()).toEqual({ done: true, value: undefined });
    expect(await h.session.open("logs", request)).toMatchObject({ ok: false, code: 503 });
  });

  it("answers 503 when the open cannot be sent", async () => {
    const h = harness();
    h.breakSocket();
    expect(await h.session.open("logs", request)).toEqual({ ok: false, code: 503, message: "the node's relay connection closed" });
    expect(h.session.size).toBe(0);
  });

  it("aborts a stream whose agent sends past its window", async () => {
    const h = harness({ window: 8 });
    const pending = h.session.open("logs", request);
    const id = h.lastOpen().id;
    h.from({ t: "accept", id });
    const res = await pending;
    if (!res.ok) throw new Error("expected a stream");
    h.data(id, "12345678");
    h.data(id, "9abcdefgh");
    expect(h.sent.at(-1)).toEqual({ t: "cancel", id, reason: "flow-control window exceeded" });
    await expect(res.body.getReader().read()).rejects.toThrow("the node sent more than its window");
  });

  it("grants credit back as the reader consumes", async () => {
    const h = harness({ window: 100 });
    const pending = h.session.open("logs", request);
    const id = h.lastOpen().id;
    h.from({ t: "accept", id });
    const res = await pending;
    if (!res.ok) throw new Error("expected a stream");
    for (let i = 0; i < 4; i++) h.data(id, "x".repeat(25));
    const credits = () => h.sent.filter((m) => m.t === "credit").reduce((n, m) => n + (m.t === "credit" ? m.bytes : 0), 0);
    expect(credits()).toBe(0);
    const reader = res.body.getReader();
    let read = 0;
    while (read < 100) read += (await reader.read()).value!.byteLength;
    await new Promise((r) => setTimeout(r, 0));
    expect(credits()).toBe(100);
    h.data(id, "y".repeat(60));
    expect(dec.decode((await reader.read()).value)).toBe("y".repeat(60));
    await new Promise((r) => setTimeout(r, 0));
    expect(credits()).toBe(160);
  });

  it("numbers streams from the first id and wraps around at 2^32 - 1", () => {
    const h = harness({ firstId: 0xffffffff - 1 });
    void h.session.open("logs", request);
    void h.session.open("logs", request);
    void h.session.open("logs", request);
    expect(h.sent.filter((m) => m.t === "open").map((m) => (m.t === "open" ? m.id : 0))).toEqual([0xfffffffe, 0xffffffff, 1]);
    h.session.close("done");
  });
});
