import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logPathFor, removePodLogs, streamLog } from "../../agent/logs/read";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "logs-stream-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (n: number, stream = "stdout", tag = "F") => `2026-01-01T00:00:${String(n).padStart(2, "0")}.000000000Z ${stream} ${tag} line-${n}\n`;

async function collect(path: string, q: Parameters<typeof streamLog>[1], opts: Partial<Parameters<typeof streamLog>[3]> = {}) {
  let out = "";
  await streamLog(path, q, (s) => void (out += s), { signal: new AbortController().signal, pollMs: 10, ...opts });
  return out;
}

describe("streamLog", () => {
  it("reads a whole file, its tail, and up to a byte limit", async () => {
    const path = join(dir, "a.log");
    await writeFile(path, [1, 2, 3, 4].map((n) => line(n)).join(""));
    expect(await collect(path, {})).toBe("line-1\nline-2\nline-3\nline-4\n");
    expect(await collect(path, { tailLines: 2 })).toBe("line-3\nline-4\n");
    expect(await collect(path, { tailLines: 2, timestamps: true })).toBe(
      "2026-01-01T00:00:03.000000000Z line-3\n2026-01-01T00:00:04.000000000Z line-4\n",
    );
    expect(await collect(path, { limitBytes: 10 })).toBe("line-1\nlin");
    expect(await collect(path, { sinceTime: new Date("2026-01-01T00:00:03Z") })).toBe("line-3\nline-4\n");
  });

  it("reads a large file's tail without trouble and in order", async () => {
    const path = join(dir, "big.log");
    await writeFile(path, Array.from({ length: 20_000 }, (_, i) => line(i % 60)).join(""));
    const out = await collect(path, { tailLines: 3 });
    expect(out).toBe("line-17\nline-18\nline-19\n");
  });

  it("treats a missing file as empty unless following", async () => {
    expect(await collect(join(dir, "missing.log"), {})).toBe("");
  });

  it("follows appended lines, including a file that appears late, until the container stops", async () => {
    const path = join(dir, "late.log");
    let running = true;
    const chunks: string[] = [];
    const done = streamLog(path, { follow: true }, (s) => void chunks.push(s), {
      signal: new AbortController().signal,
      isRunning: () => running,
      pollMs: 10,
    });
    await new Promise((r) => setTimeout(r, 50));
    await writeFile(path, line(1));
    await waitFor(() => chunks.join("") === "line-1\n");
    // A record written in two steps is shown only once it is whole.
    const second = line(2);
    await appendFile(path, second.slice(0, 20));
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks.join("")).toBe("line-1\n");
    await appendFile(path, second.slice(20));
    await waitFor(() => chunks.join("") === "line-1\nline-2\n");

    running = false;
    await appendFile(path, line(3, "stderr")); // written as the container exits: still delivered
    await done;
    expect(chunks.join("")).toBe("line-1\nline-2\nline-3\n");
  });

  it("stops following when aborted", async () => {
    const path = join(dir, "abort.log");
    await writeFile(path, line(1));
    const ac = new AbortController();
    let out = "";
    const done = streamLog(path, { follow: true }, (s) => void (out += s), { signal: ac.signal, pollMs: 10 });
    await waitFor(() => out === "line-1\n");
    ac.abort();
    await done;
    await appendFile(path, line(2));
    expect(out).toBe("line-1\n");
  });
});

describe("log paths", () => {
  it("keeps one file per run under the pod and container, and removes a pod's logs", async () => {
    const path = logPathFor(dir, "uid-1", "web", 2);
    expect(path).toBe(join(dir, "logs", "uid-1", "web", "2.log"));
    await mkdir(join(dir, "logs", "uid-1", "web"), { recursive: true });
    await writeFile(path, line(1));
    await mkdir(join(dir, "logs", "uid-2"), { recursive: true });
    await removePodLogs(dir, "uid-1");
    await removePodLogs(dir, "uid-1");
    expect(await readdir(join(dir, "logs"))).toEqual(["uid-2"]);
  });

  it("refuses names that would leave the pod's directory", () => {
    expect(() => logPathFor(dir, "..", "web", 0)).toThrow(/cannot name a log directory/);
    expect(() => logPathFor(dir, "uid", "a/b", 0)).toThrow(/cannot name a log directory/);
    return expect(removePodLogs(dir, "")).rejects.toThrow(/cannot name a log directory/);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (let waited = 0; !cond(); waited += 10) {
    if (waited > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
