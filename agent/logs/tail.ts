import { isPartialRecord } from "./cri-record";

/** Reads `length` bytes at `position` (fewer only at the end of the file). */
export type ReadAt = (position: number, length: number) => Promise<Buffer>;

const NEWLINE = 0x0a;

/**
 * The file offset where the last `lines` lines of a CRI log start, found by reading backwards
 * from the end in chunks, so a long log is not read whole. A line ends with an "F" record; the
 * "P" records after the last "F" (a line still being written) count as one more line. An
 * unterminated record at the very end (the logger mid-write) is not counted, and the offset
 * never points past the last newline, so reading on from it sees that record whole.
 *
 * Lines are told apart by their "F" records alone, as kubelet counts records: when long lines of
 * stdout and stderr interleave, the first line shown may lack its first pieces.
 *
 * @example
 * // records: F a, F b, F c  →  tailStartOffset(read, size, 2) is the offset of "b"'s record
 */
export async function tailStartOffset(read: ReadAt, size: number, lines: number, chunkSize = 64 * 1024): Promise<number> {
  let pos = size; // buffer covers [pos, size)
  let buf = Buffer.alloc(0);
  const loadMore = async (): Promise<boolean> => {
    if (pos === 0) return false;
    const from = Math.max(0, pos - chunkSize);
    buf = Buffer.concat([await read(from, pos - from), buf]);
    pos = from;
    return true;
  };
  /** The absolute offset of the last newline before `before`, or -1 at the start of the file. */
  const newlineBefore = async (before: number): Promise<number> => {
    for (;;) {
      const i = before - pos - 1 < 0 ? -1 : buf.lastIndexOf(NEWLINE, before - pos - 1);
      if (i !== -1) return pos + i;
      if (!(await loadMore())) return -1;
    }
  };

  const lastNewline = await newlineBefore(size);
  if (lastNewline === -1) return 0;
  const completeEnd = lastNewline + 1;
  if (lines <= 0) return completeEnd;

  let counted = 0;
  let recordEnd = lastNewline; // the newline ending the record being looked at
  let first = true;
  for (;;) {
    const start = (await newlineBefore(recordEnd)) + 1;
    const partial = isPartialRecord(buf.subarray(start - pos, recordEnd - pos));
    if (partial) {
      if (first) counted = 1;
    } else {
      if (counted >= lines) return recordEnd + 1;
      counted++;
    }
    first = false;
    if (start === 0) return 0;
    recordEnd = start - 1;
  }
}
