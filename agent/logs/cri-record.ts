export type LogStream = "stdout" | "stderr";

/** One line of a CRI log file: `<timestamp> <stream> <tag>[:<more tags>] <content>`. */
export interface CriRecord {
  /** RFC 3339 with (up to) nanoseconds, as written. */
  timestamp: string;
  stream: LogStream;
  /** "P": a piece of a line that continues in the stream's next record. "F": the line ends here. */
  partial: boolean;
  content: Buffer;
}

const SPACE = 0x20;

/** Parses one record (without its newline); undefined for a malformed line. */
export function parseCriRecord(line: Buffer): CriRecord | undefined {
  const afterTs = line.indexOf(SPACE);
  if (afterTs <= 0) return undefined;
  const afterStream = line.indexOf(SPACE, afterTs + 1);
  if (afterStream === -1) return undefined;
  const stream = line.toString("latin1", afterTs + 1, afterStream);
  if (stream !== "stdout" && stream !== "stderr") return undefined;
  let afterTags = line.indexOf(SPACE, afterStream + 1);
  // Tolerate an empty F line written without the space before its (empty) content.
  if (afterTags === -1) afterTags = line.length;
  const tags = line.toString("latin1", afterStream + 1, afterTags).split(":");
  if (tags[0] !== "F" && tags[0] !== "P") return undefined;
  const timestamp = line.toString("latin1", 0, afterTs);
  if (timestampNanos(timestamp) === undefined) return undefined;
  return { timestamp, stream, partial: tags[0] === "P", content: line.subarray(Math.min(afterTags + 1, line.length)) };
}

/** Whether a record line (without newline) is a partial one; cheap, for scanning backwards. */
export function isPartialRecord(line: Buffer): boolean {
  const afterTs = line.indexOf(SPACE);
  const afterStream = afterTs === -1 ? -1 : line.indexOf(SPACE, afterTs + 1);
  return afterStream !== -1 && line[afterStream + 1] === 0x50 /* P */;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Nanoseconds since the epoch of an RFC 3339 timestamp (Date alone keeps only milliseconds). */
export function timestampNanos(ts: string): bigint | undefined {
  const m = RFC3339.exec(ts);
  if (!m) return undefined;
  const seconds = Date.parse(m[1] + m[3]);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** The timestamp with exactly nine fraction digits, as kubelet prints it for `logs --timestamps`. */
export function fixedNanoTimestamp(ts: string): string {
  const m = RFC3339.exec(ts);
  if (!m) return ts;
  return `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}${m[3]}`;
}
