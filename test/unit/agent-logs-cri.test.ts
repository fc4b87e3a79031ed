import { describe, expect, it } from "vitest";
import { fixedNanoTimestamp, parseCriRecord, timestampNanos } from "../../agent/logs/cri-record";
import { LogRenderer, type RenderOptions } from "../../agent/logs/log-renderer";
import { tailStartOffset } from "../../agent/logs/tail";

const rec = (line: string) => parseCriRecord(Buffer.from(line))!;

/** Renders a whole log file's text as streamLog would, record by record. */
function render(file: string, opts: RenderOptions = {}): string {
  const r = new LogRenderer(opts);
  return file
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => parseCriRecord(Buffer.from(l)))
    .map((x) => (x ? r.render(x) : ""))
    .join("");
}

describe("parseCriRecord", () => {
  it("splits timestamp, stream, tag and content (which keeps its spaces)", () => {
    const r = rec("2026-11-27T19:29:17.419123000Z stderr F  two  spaces ");
    expect(r).toMatchObject({ timestamp: "2026-11-27T19:29:17.419123000Z", stream: "stderr", partial: false });
    expect(r.content.toString()).toBe(" two  spaces ");
  });

  it("reads P records, extra tags and empty lines", () => {
    expect(rec("2026-01-01T00:00:00Z stdout P:x abc")).toMatchObject({ partial: true, stream: "stdout" });
    expect(rec("2026-01-01T00:00:00Z stdout F ").content.length).toBe(0);
    expect(rec("2026-01-01T00:00:00Z stdout F").content.length).toBe(0);
  });

  it.each(["", "junk", "2026-01-01T00:00:00Z stdin F x", "2026-01-01T00:00:00Z stdout X x", "yesterday stdout F x"])(
    "refuses %j",
    (line) => expect(parseCriRecord(Buffer.from(line))).toBeUndefined(),
  );
});

describe("timestamps", () => {
  it("keeps nanoseconds and honours offsets", () => {
    expect(timestampNanos("1970-01-01T00:00:01.000000002Z")).toBe(1_000_000_002n);
    expect(timestampNanos("1970-01-01T01:00:00.5+01:00")).toBe(500_000_000n);
    expect(timestampNanos("nope")).toBeUndefined();
  });

  it("prints nine fraction digits", () => {
    expect(fixedNanoTimestamp("2026-01-01T00:00:00.5Z")).toBe("2026-01-01T00:00:00.500000000Z");
    expect(fixedNanoTimestamp("2026-01-01T00:00:00Z")).toBe("2026-01-01T00:00:00.000000000Z");
  });
});

const LOG = [
  "2026-01-01T00:00:01.000000000Z stdout F one",
  "2026-01-01T00:00:02.000000000Z stderr F two",
  "2026-01-01T00:00:03.000000000Z stdout P thr",
  "2026-01-01T00:00:03.100000000Z stderr F four",
  "2026-01-01T00:00:03.200000000Z stdout F ee",
  "2026-01-01T00:00:04.000000000Z stdout P tail-without-newline",
  "",
].join("\n");

describe("LogRenderer", () => {
  it("joins each stream's partial pieces into its line", () => {
    expect(render(LOG)).toBe("one\ntwo\nthr" + "four\n" + "ee\n" + "tail-without-newline");
  });

  it("puts the first piece's timestamp before each line", () => {
    expect(render(LOG, { timestamps: true })).toBe(
      "2026-01-01T00:00:01.000000000Z one\n" +
        "2026-01-01T00:00:02.000000000Z two\n" +
        "2026-01-01T00:00:03.000000000Z thr" +
        "2026-01-01T00:00:03.100000000Z four\n" +
        "ee\n" +
        "2026-01-01T00:00:04.000000000Z tail-without-newline",
    );
  });

  it("skips records stamped before sinceTime, to the nanosecond", () => {
    expect(render(LOG, { sinceTime: new Date("2026-01-01T00:00:03.100Z") })).toBe("four\nee\ntail-without-newline");
    expect(render("1970-01-01T00:00:00.000999999Z stdout F early\n1970-01-01T00:00:00.001000000Z stdout F on-time\n", {
      sinceTime: new Date(1),
    })).toBe("on-time\n");
  });

  it("stops at limitBytes, never splitting a character", () => {
    expect(render(LOG, { limitBytes: 6 })).toBe("one\ntw");
    expect(render(LOG, { limitBytes: 0 })).toBe("");
    expect(render("2026-01-01T00:00:00Z stdout F aé\n", { limitBytes: 2 })).toBe("a");
    expect(render("2026-01-01T00:00:00Z stdout F aé\n", { limitBytes: 3 })).toBe("aé");
  });

  it("decodes a character cut between a P and the next record", () => {
    const euro = Buffer.from("€"); // 3 bytes
    const r = new LogRenderer();
    const head = Buffer.concat([Buffer.from("2026-01-01T00:00:00Z stdout P x"), euro.subarray(0, 1)]);
    const rest = Buffer.concat([Buffer.from("2026-01-01T00:00:00Z stdout F "), euro.subarray(1), Buffer.from("y")]);
    expect(r.render(parseCriRecord(head)!) + r.render(parseCriRecord(rest)!)).toBe("x€y\n");
  });
});

describe("tailStartOffset", () => {
  const reader = (data: Buffer) => async (pos: number, len: number) => data.subarray(pos, pos + len);
  const tail = async (text: string, lines: number) => {
    const data = Buffer.from(text);
    for (const chunk of [3, 7, 64 * 1024]) {
      // the same answer whatever the read size, so chunk boundaries do not matter
      const offset = await tailStartOffset(reader(data), data.length, lines, chunk);
      expect(await tailStartOffset(reader(data), data.length, lines, 64 * 1024)).toBe(offset);
    }
    return render(data.subarray(await tailStartOffset(reader(data), data.length, lines, 5)).toString());
  };

  it("counts whole lines from the end; the unfinished last line counts as one", async () => {
    expect(await tail(LOG, 1)).toBe("tail-without-newline");
    expect(await tail(LOG, 2)).toBe("ee\ntail-without-newline");
    // The piece "thr" of the stdout line ending in "ee" comes before stderr's "four", so it is kept.
    expect(await tail(LOG, 3)).toBe("thrfour\nee\ntail-without-newline");
    expect(await tail(LOG, 100)).toBe(render(LOG));
    expect(await tail(LOG, 0)).toBe("");
  });

  it("ignores a record the logger has not finished writing", async () => {
    const file = "2026-01-01T00:00:01Z stdout F a\n2026-01-01T00:00:02Z stdout F b\n2026-01-01T00:00:03Z std";
    const data = Buffer.from(file);
    const offset = await tailStartOffset(reader(data), data.length, 1, 4);
    expect(data.subarray(offset).toString()).toBe("2026-01-01T00:00:02Z stdout F b\n2026-01-01T00:00:03Z std");
    expect(await tailStartOffset(reader(data), data.length, 0, 4)).toBe(file.lastIndexOf("\n") + 1);
  });

  it("handles an empty file and a file without any newline", async () => {
    expect(await tailStartOffset(reader(Buffer.alloc(0)), 0, 5)).toBe(0);
    expect(await tailStartOffset(reader(Buffer.from("2026")), 4, 5)).toBe(0);
  });
});
