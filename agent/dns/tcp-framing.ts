/** DNS over TCP (RFC 1035 §4.2.2, RFC 7766): each message is preceded by its length in two bytes. */

/** `msg` with its two-byte length in front. */
export function frameMessage(msg: Uint8Array): Uint8Array {
  const framed = new Uint8Array(msg.length + 2);
  framed[0] = msg.length >> 8;
  framed[1] = msg.length & 0xff;
  framed.set(msg, 2);
  return framed;
}

/** Collects stream chunks and hands out each complete message, however the chunks were cut. */
export class TcpFrameReader {
  private pending = new Uint8Array(0);

  constructor(private readonly onMessage: (msg: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.pending.length + chunk.length);
    joined.set(this.pending);
    joined.set(chunk, this.pending.length);
    let at = 0;
    while (joined.length - at >= 2) {
      const length = (joined[at] << 8) | joined[at + 1];
      if (joined.length - at - 2 < length) break;
      this.onMessage(joined.slice(at + 2, at + 2 + length));
      at += 2 + length;
    }
    this.pending = joined.slice(at);
  }

  /** Bytes received that do not make a whole message yet. */
  get buffered(): number {
    return this.pending.length;
  }
}
