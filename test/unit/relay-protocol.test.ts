import { describe, expect, it } from "vitest";
import { CHANNEL, chunks, decodeControl, decodeData, encodeControl, encodeData, MAX_CHUNK_BYTES, type LogRequest } from "../../src/relay/protocol";

const request: LogRequest = { namespace: "default", pod: "web", podUid: "u1", container: "app", follow: true, previous: false, timestamps: false, tailLines: 10 };

describe("relay control messages", () => {
  it("round-trips every message type", () => {
    const messages = [
      { t: "open", id: 1, kind: "logs", request, window: 65536 },
      { t: "accept", id: 1 },
      { t: "accept", id: 2, window: 1024 },
      { t: "error", id: 1, code: 400, message: "no such container" },
      { t: "end", id: 1 },
      { t: "cancel", id: 1 },
      { t: "cancel", id: 1, reason: "client went away" },
      { t: "credit", id: 1, bytes: 4096 },
      { t: "ping" },
      { t: "pong" },
    ] as const;
    for (const m of messages) expect(decodeControl(encodeControl(m))).toEqual(m);
  });

  it("rejects junk instead of throwing", () => {
    for (const text of [
      "",
      "not json",
      "[]",
      "null",
      '{"t":"nope","id":1}',
      '{"t":"credit","id":-1,"bytes":5}',
      '{"t":"credit","id":1.5,"bytes":5}',
      '{"t":"credit","id":1,"bytes":"5"}',
      '{"t":"error","id":1,"code":400}',
      '{"t":"open","id":1,"kind":"exec","request":{},"window":1}',
      `{"t":"open","id":1,"kind":"logs","request":${JSON.stringify({ ...request, follow: "yes" })},"window":1}`,
      `{"t":"open","id":1,"kind":"logs","request":${JSON.stringify({ ...request, tailLines: -3 })},"window":1}`,
      `{"t":"open","id":4294967296,"kind":"logs","request":${JSON.stringify(request)},"window":1}`,
    ]) {
      expect(decodeControl(text), text).toBeUndefined();
    }
  });
});

describe("relay data frames", () => {
  it("carry the stream id, channel and payload", () => {
    const payload = new TextEncoder().encode("hello\n");
    const frame = encodeData(0xfffffffe, CHANNEL.stderr, payload);
    expect(frame.byteLength).toBe(6 + payload.byteLength);
    expect([...frame.subarray(0, 6)]).toEqual([1, 0xff, 0xff, 0xff, 0xfe, 2]);
    const back = decodeData(frame.buffer as ArrayBuffer)!;
    expect(back.id).toBe(0xfffffffe);
    expect(back.channel).toBe(CHANNEL.stderr);
    expect(new TextDecoder().decode(back.payload)).toBe("hello\n");
  });

  it("decodes a frame that is a view into a larger buffer", () => {
    const big = new Uint8Array(100);
    big.set(encodeData(7, CHANNEL.stdout, new Uint8Array([9, 8, 7])), 40);
    expect(decodeData(big.subarray(40, 49))).toMatchObject({ id: 7, channel: 1, payload: new Uint8Array([9, 8, 7]) });
  });

  it("refuses oversized payloads and malformed frames", () => {
    expect(() => encodeData(1, 1, new Uint8Array(MAX_CHUNK_BYTES + 1))).toThrow(RangeError);
    expect(() => encodeData(-1, 1, new Uint8Array(1))).toThrow(RangeError);
    expect(decodeData(new Uint8Array([1, 0, 0, 0]))).toBeUndefined();
    expect(decodeData(new Uint8Array([2, 0, 0, 0, 1, 1, 65]))).toBeUndefined();
    expect(decodeData(new Uint8Array(6 + MAX_CHUNK_BYTES + 1).fill(1, 0, 1))).toBeUndefined();
  });

  it("splits payloads into frame-sized views", () => {
    const parts = chunks(new Uint8Array(2 * MAX_CHUNK_BYTES + 5));
    expect(parts.map((p) => p.byteLength)).toEqual([MAX_CHUNK_BYTES, MAX_CHUNK_BYTES, 5]);
    expect(chunks(new Uint8Array(0))).toEqual([]);
  });
});
