import { describe, expect, it } from "vitest";
import { spawnRunner } from "../../agent/runtime/command";

describe("spawnRunner", () => {
  it("returns a non-zero exit with both outputs instead of throwing", async () => {
    expect(await spawnRunner.run("sh", ["-c", "echo out; echo err >&2; exit 3"])).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
  });

  it("passes arguments verbatim, stdin input and extra environment", async () => {
    const r = await spawnRunner.run("sh", ["-c", 'printf "%s|" "$1" "$GREETING"; cat', "sh", "a b;$(x)"], {
      input: "from stdin",
      env: { GREETING: "hi" },
    });
    expect(r).toEqual({ code: 0, stdout: "a b;$(x)|hi|from stdin", stderr: "" });
  });

  it("gives /dev/null as stdin without input", async () => {
    expect((await spawnRunner.run("cat", [])).code).toBe(0);
  });

  it("kills a command and what it started on timeout, with code 124", async () => {
    const started = performance.now();
    // The background sleep keeps stdout open: only killing the whole group ends the call.
    const r = await spawnRunner.run("sh", ["-c", "echo begun; sleep 30 & wait"], { timeoutMs: 200 });
    expect(r.code).toBe(124);
    expect(r.stdout).toBe("begun\n");
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("reports death by signal as 128 + the signal number", async () => {
    expect((await spawnRunner.run("sh", ["-c", "kill -TERM $$"])).code).toBe(143);
  });

  it("rejects only when the program cannot start", async () => {
    await expect(spawnRunner.run("/no/such/program", [])).rejects.toMatchObject({ code: "ENOENT" });
  });
});
