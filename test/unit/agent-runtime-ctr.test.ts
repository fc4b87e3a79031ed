import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandResult, CommandRunner } from "../../agent/runtime/command";
import { Ctr, CtrError } from "../../agent/runtime/ctr";
import { RECORD_SEPARATOR } from "../../agent/runtime/ctr-output";

interface Call {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
}

/** Answers each call with the first scripted reply whose matcher accepts its arguments. */
function scriptedRunner(replies: [RegExp, Partial<CommandResult>][]): CommandRunner & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    async run(cmd, args, opts) {
      calls.push({ cmd, args, env: opts?.env });
      const line = [cmd, ...args].join(" ");
      const reply = replies.find(([re]) => re.test(line))?.[1] ?? {};
      return { code: 0, stdout: "", stderr: "", ...reply };
    },
  };
}

const LIST =
  "CONTAINER    IMAGE                              RUNTIME                  \n" +
  "a            docker.io/library/busybox:local    io.containerd.runc.v2    \n" +
  "b            docker.io/library/busybox:local    io.containerd.runc.v2    \n";
const infos = (...ids: string[]) =>
  ids.map((id) => JSON.stringify({ ID: id, Image: "docker.io/library/busybox:local", Labels: { pod: `p-${id}` } }) + "\n" + RECORD_SEPARATOR).join("");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ctr-unit-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Ctr", () => {
  it("passes the address and namespace to every call", async () => {
    const runner = scriptedRunner([[/tasks list/, { stdout: "TASK PID STATUS\n" }]]);
    await new Ctr({ namespace: "ns1", address: "/run/c.sock", runner }).listTasks();
    expect(runner.calls[0]).toMatchObject({ cmd: "ctr", args: ["--address", "/run/c.sock", "--namespace", "ns1", "tasks", "list"] });
  });

  it("lists containers with their labels in two calls, then one call while nothing new appears", async () => {
    const runner = scriptedRunner([
      [/containers list/, { stdout: LIST }],
      [/^sh /, { stdout: infos("a", "b") }],
    ]);
    const ctr = new Ctr({ namespace: "ns1", runner });
    const want = [
      { id: "a", image: "docker.io/library/busybox:local", labels: { pod: "p-a" } },
      { id: "b", image: "docker.io/library/busybox:local", labels: { pod: "p-b" } },
    ];
    expect(await ctr.listContainers()).toEqual(want);
    expect(runner.calls).toHaveLength(2);
    expect(runner.calls[1].args.slice(-3)).toEqual(["ctr", "a", "b"]);
    expect(runner.calls[1].env).toEqual({ CONTAINERD_NAMESPACE: "ns1" });

    expect(await ctr.listContainers()).toEqual(want);
    expect(runner.calls).toHaveLength(3);

    await ctr.setLabels("a", { pod: "", extra: "x" });
    expect(runner.calls[3].args).toEqual(["--namespace", "ns1", "containers", "label", "a", "pod=", "extra=x"]);
    expect((await ctr.listContainers())[0].labels).toEqual({ extra: "x" });
  });

  it("filters by exact label values, quoted for ctr's filter syntax", async () => {
    const runner = scriptedRunner([[/containers list/, { stdout: "CONTAINER IMAGE RUNTIME\n" }]]);
    await new Ctr({ namespace: "ns1", runner }).listContainers({ "flotilla.dev/pod": "a b", x: "1" });
    expect(runner.calls[0].args.slice(-1)).toEqual(['labels."flotilla.dev/pod"=="a b",labels."x"=="1"']);
  });

  it("drops a container that vanished between listing and reading it", async () => {
    const runner = scriptedRunner([
      [/containers list/, { stdout: LIST }],
      [/^sh /, { code: 1, stdout: infos("a"), stderr: 'ctr: container "b" in namespace "ns1": not found\n' }],
    ]);
    expect((await new Ctr({ namespace: "ns1", runner }).listContainers()).map((c) => c.id)).toEqual(["a"]);
  });

  it("deleteTask: the exit code from ctr's warning, 0 when silent, none without a task", async () => {
    const ctr = (stderr: string, code = 0) => new Ctr({ namespace: "n", runner: scriptedRunner([[/tasks delete/, { code, stderr }]]) });
    expect(await ctr('level=warning msg="task x exit with non-zero exit code 7"').deleteTask("x")).toEqual({ exitCode: 7 });
    expect(await ctr("").deleteTask("x")).toEqual({ exitCode: 0 });
    expect(await ctr("ctr: no running task found: task x not found: not found\n", 1).deleteTask("x")).toEqual({});
    await expect(ctr("ctr: connection refused\n", 1).deleteTask("x")).rejects.toMatchObject({ kind: "Other" });
  });

  it("removes a container whose task failed to start, but never one that already existed", async () => {
    const execFail = scriptedRunner([
      [/ run /, { code: 1, stderr: 'ctr: OCI runtime create failed: exec: "x": executable file not found in $PATH: unknown\n' }],
    ]);
    const spec = { id: "c", image: "busybox", argv: ["x"], env: [], labels: {}, mounts: [], namespaces: [], logPath: join(dir, "c", "0.log") };
    await expect(new Ctr({ namespace: "n", runner: execFail }).run(spec)).rejects.toMatchObject({ kind: "ExecNotFound" });
    expect(execFail.calls.map((c) => c.args[2])).toEqual(["run", "tasks", "containers"]);

    const exists = scriptedRunner([[/ run /, { code: 1, stderr: 'ctr: snapshot "c": already exists\n' }]]);
    const err = await new Ctr({ namespace: "n", runner: exists }).run(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CtrError);
    expect(err).toMatchObject({ kind: "AlreadyExists", message: 'snapshot "c": already exists' });
    expect(exists.calls).toHaveLength(1);
  });

  it("exec: the program's own failure is a result, ctr's failure is a CtrError", async () => {
    const own = scriptedRunner([[/tasks exec/, { code: 1, stdout: "", stderr: "grep: nothing\n" }]]);
    expect(await new Ctr({ namespace: "n", runner: own }).exec("c", ["grep"], { timeoutMs: 1000 })).toEqual({
      code: 1,
      stdout: "",
      stderr: "grep: nothing\n",
    });
    expect(own.calls[0].args.slice(2, 5)).toEqual(["tasks", "exec", "--exec-id"]);

    const ctrFails = scriptedRunner([[/tasks exec/, { code: 1, stderr: 'ctr: container "c" in namespace "n": not found\n' }]]);
    await expect(new Ctr({ namespace: "n", runner: ctrFails }).exec("c", ["true"], { timeoutMs: 1000 })).rejects.toMatchObject({
      kind: "NotFound",
    });
  });

  it("pulls from a registry on this machine over plain HTTP", async () => {
    const runner = scriptedRunner([]);
    const ctr = new Ctr({ namespace: "n", runner });
    await ctr.pullImage("127.0.0.1:5000/x/y");
    await ctr.pullImage("busybox");
    expect(runner.calls.map((c) => c.args.slice(2))).toEqual([
      ["images", "pull", "--plain-http", "127.0.0.1:5000/x/y:latest"],
      ["images", "pull", "docker.io/library/busybox:latest"],
    ]);
  });
});
