import { StringDecoder } from "node:string_decoder";
import { type CriRecord, fixedNanoTimestamp, type LogStream, timestampNanos } from "./cri-record";

export interface RenderOptions {
  timestamps?: boolean;
  /** Records stamped before this are skipped. */
  sinceTime?: Date;
  /** Output stops after this many bytes (UTF-8), cut at a character boundary. */
  limitBytes?: number;
}

/**
 * Turns CRI log records into what `kubectl logs` prints: each line's text with its newline;
 * the pieces of a partial line joined (each stream has its own line in progress); with
 * timestamps, "<timestamp> " before the start of every line.
 *
 * @example
 * const r = new LogRenderer({ timestamps: true });
 * r.render(parseCriRecord(Buffer.from("2026-01-01T00:00:00.5Z stdout F hi"))!); // "2026-01-01T00:00:00.500000000Z hi\n"
 */
export class LogRenderer {
  private readonly decoders: Record<LogStream, StringDecoder> = {
    stdout: new StringDecoder("utf8"),
    stderr: new StringDecoder("utf8"),
  };
  private readonly atLineStart: Record<LogStream, boolean> = { stdout: true, stderr: true };
  private readonly sinceNanos?: bigint;
  private remainingBytes: number;

  constructor(private readonly opts: RenderOptions = {}) {
    this.sinceNanos = opts.sinceTime ? BigInt(opts.sinceTime.getTime()) * 1_000_000n : undefined;
    this.remainingBytes = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Whether the byte limit has been reached: nothing more will be rendered. */
  get done(): boolean {
    return this.remainingBytes <= 0;
  }

  /** The text for one record ("" when it is filtered out or the limit is reached). */
  render(record: CriRecord): string {
    if (this.done) return "";
    if (this.sinceNanos !== undefined && (timestampNanos(record.timestamp) ?? 0n) < this.sinceNanos) return "";
    const decoder = this.decoders[record.stream];
    let text = decoder.write(record.content);
    if (!record.partial) text += `${decoder.end()}\n`;
    if (this.opts.timestamps && this.atLineStart[record.stream]) text = `${fixedNanoTimestamp(record.timestamp)} ${text}`;
    this.atLineStart[record.stream] = !record.partial;
    return this.limit(text);
  }

  private limit(text: string): string {
    if (!Number.isFinite(this.remainingBytes)) return text;
    const bytes = Buffer.from(text, "utf8");
    if (bytes.length <= this.remainingBytes) {
      this.remainingBytes -= bytes.length;
      return text;
    }
    let cut = this.remainingBytes;
    while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--; // never split a character
    this.remainingBytes = 0;
    return bytes.subarray(0, cut).toString("utf8");
  }
}
