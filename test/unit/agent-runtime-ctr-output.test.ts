import { describe, expect, it } from "vitest";
import { classifyCtrError, CtrError, errorMessage } from "../../agent/runtime/ctr-error";
import {
  parseContainerInfos,
  parseContainerList,
  parseDeletedTaskExitCode,
  parseImageList,
  parseImportedRefs,
  parseServerVersion,
  parseTaskList,
  RECORD_SEPARATOR,
} from "../../agent/runtime/ctr-output";
import { parseEventLine } from "../../agent/runtime/events";
import { readImageConfig } from "../../agent/runtime/image-config";
import { runArgs } from "../../agent/runtime/run-spec";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);

describe("ctr table parsers", () => {
  it("reads the server's version, not the client's", () => {
    const out = "Client:\n  Version:  1.6.0\n  Revision: x\n\nServer:\n  Version:  1.6.20~ds1\n  Revision: 1.6.20~ds1-1\n";
    expect(parseServerVersion(out)).toBe("1.6.20~ds1");
    expect(() => parseServerVersion("Client:\n  Version: 1\n")).toThrow(/no server version/);
  });

  it("reads tasks with their pid and status", () => {
    const out = "TASK    PID      STATUS    \nweb     6279     RUNNING\njob     0        STOPPED\nodd     12       WEIRD\n";
    expect([...parseTaskList(out)]).toEqual([
      ["web", { pid: 6279, status: "RUNNING" }],
      ["job", { pid: 0, status: "STOPPED" }],
      ["odd", { pid: 12, status: "UNKNOWN" }],
    ]);
    expect(parseTaskList("TASK    PID    STATUS    \n").size).toBe(0);
  });

  it("reads containers, also one without an image", () => {
    const out =
      "CONTAINER    IMAGE                              RUNTIME                  \n" +
      "c1           docker.io/library/busybox:local    io.containerd.runc.v2    \n" +
      "bare                                           io.containerd.runc.v2    \n";
    expect(parseContainerList(out)).toEqual([
      { id: "c1", image: "docker.io/library/busybox:local" },
      { id: "bare", image: "" },
    ]);
  });

  it("reads batched container infos, skipping what is not a record", () => {
    const info = (id: string, labels: Record<string, string> | null) =>
      JSON.stringify({ ID: id, Labels: labels, Image: "img", Spec: { process: {} } }, null, 4);
    const out = info("a", { k: "v" }) + "\n" + RECORD_SEPARATOR + info("b", null) + "\n" + RECORD_SEPARATOR;
    expect(parseContainerInfos(out)).toEqual([
      { id: "a", image: "img", labels: { k: "v" } },
      { id: "b", image: "img", labels: {} },
    ]);
    expect(parseContainerInfos("")).toEqual([]);
  });

  it("reads images with their sizes in bytes", () => {
    const out =
      "REF                             TYPE                                       DIGEST   SIZE       PLATFORMS   LABELS \n" +
      `docker.io/library/busybox:local application/vnd.oci.image.manifest.v1+json ${D1} 1008.0 KiB linux/amd64 -      \n` +
      `127.0.0.1:5000/app:1 application/vnd.oci.image.index.v1+json ${D2} 12.5 MiB linux/amd64,linux/arm64 a=b\n` +
      `tiny:1 application/vnd.oci.image.manifest.v1+json ${D2} 630.0 B linux/amd64 -\n`;
    expect(parseImageList(out)).toEqual([
      { ref: "docker.io/library/busybox:local", mediaType: "application/vnd.oci.image.manifest.v1+json", digest: D1, sizeBytes: 1032192 },
      { ref: "127.0.0.1:5000/app:1", mediaType: "application/vnd.oci.image.index.v1+json", digest: D2, sizeBytes: 13107200 },
      { ref: "tiny:1", mediaType: "application/vnd.oci.image.manifest.v1+json", digest: D2, sizeBytes: 630 },
    ]);
  });

  it("reads the refs an import unpacked", () => {
    const out = `unpacking docker.io/library/busybox:local (${D1})...done\nunpacking x/y:1 (${D2})...done\n`;
    expect(parseImportedRefs(out)).toEqual(["docker.io/library/busybox:local", "x/y:1"]);
  });

  it("reads a deleted task's exit code from ctr's warning; silence means 0", () => {
    expect(parseDeletedTaskExitCode('time="…" level=warning msg="task c1 exit with non-zero exit code 137"\n')).toBe(137);
    expect(parseDeletedTaskExitCode("")).toBe(0);
  });
});

describe("CtrError", () => {
  it.each([
    ['image "docker.io/library/nope:1": not found', "NotFound"],
    ['container "c9" in namespace "ns": not found', "NotFound"],
    ["no running task found: task c1 not found: not found", "NotFound"],
    ['snapshot "c1": already exists', "AlreadyExists"],
    [
      'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuchbin": executable file not found in $PATH: unknown',
      "ExecNotFound",
    ],
    [
      'failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/nosuch": stat /nosuch: no such file or directory: unknown',
      "ExecNotFound",
    ],
    [
      'failed to resolve reference "docker.io/library/x:1": failed to do request: Head "https://registry-1.docker.io/v2/library/x/manifests/1": dial tcp: lookup registry-1.docker.io: no such host',
      "Other",
    ],
  ])("%s → %s", (message, kind) => expect(classifyCtrError(message)).toBe(kind));

  it("takes ctr's final error line as the message, without log lines", () => {
    const stderr =
      'time="2026-11-27T23:08:45Z" level=error msg="failed to load task from c1" error="not found"\n' +
      "ctr: no running task found: task c1 not found: not found\n";
    expect(errorMessage(stderr)).toBe("no running task found: task c1 not found: not found");
    const err = CtrError.fromOutput(["tasks", "delete", "c1"], 1, stderr);
    expect(err).toMatchObject({ kind: "NotFound", exitCode: 1, args: ["tasks", "delete", "c1"], stderr });
    expect(err.message).toBe("no running task found: task c1 not found: not found");
    expect(CtrError.fromOutput(["x"], 2, "").message).toBe("ctr x exited with code 2");
  });
});

describe("parseEventLine", () => {
  const line = (ns: string, topic: string, body: object) =>
    `2026-11-27 23:20:10.810141002 +0000 UTC ${ns} ${topic} ${JSON.stringify(body)}`;

  it("reads an init process's exit; a missing exit_status is 0", () => {
    expect(
      parseEventLine(line("ns", "/tasks/exit", { container_id: "c", id: "c", pid: 7, exit_status: 3, exited_at: "t" }), "ns"),
    ).toEqual({ topic: "exit", containerId: "c", pid: 7, exitCode: 3, exitedAt: "t" });
    expect(parseEventLine(line("ns", "/tasks/exit", { container_id: "c", id: "c", pid: 7, exited_at: "t" }), "ns")).toMatchObject({
      exitCode: 0,
    });
  });

  it("leaves out exec'd processes, other namespaces and other topics", () => {
    expect(parseEventLine(line("ns", "/tasks/exit", { container_id: "c", id: "exec-1", pid: 9, exit_status: 4 }), "ns")).toBeUndefined();
    expect(parseEventLine(line("other", "/tasks/exit", { container_id: "c", id: "c", pid: 9 }), "ns")).toBeUndefined();
    expect(parseEventLine(line("ns", "/tasks/exec-started", { container_id: "c", exec_id: "e", pid: 9 }), "ns")).toBeUndefined();
    expect(parseEventLine(line("ns", "/containers/delete", { id: "c" }), "ns")).toBeUndefined();
    expect(parseEventLine(line("ns", "/tasks/delete", { container_id: "c", id: "exec-1", pid: 9 }), "ns")).toBeUndefined();
    expect(parseEventLine("garbage", "ns")).toBeUndefined();
  });

  it("reads oom, start and delete", () => {
    expect(parseEventLine(line("ns", "/tasks/oom", { container_id: "c" }), "ns")).toEqual({ topic: "oom", containerId: "c" });
    expect(parseEventLine(line("ns", "/tasks/start", { container_id: "c", pid: 5 }), "ns")).toEqual({ topic: "start", containerId: "c", pid: 5 });
    expect(parseEventLine(line("ns", "/tasks/delete", { container_id: "c", pid: 5, exit_status: 137 }), "ns")).toEqual({
      topic: "delete",
      containerId: "c",
    });
  });
});

describe("runArgs", () => {
  it("maps a spec onto ctr run options, ending them before the image", () => {
    const args = runArgs(
      {
        id: "pod-web-0",
        image: "busybox:local",
        argv: ["-not-a-flag", "x"],
        env: ["A=1", "B=two words"],
        cwd: "/work",
        labels: { "flotilla.dev/pod": "uid-1" },
        mounts: [
          { source: "/data/e", destination: "/data", readOnly: false },
          { source: "/data/hosts", destination: "/etc/hosts", readOnly: true },
        ],
        namespaces: [{ type: "network", path: "/var/run/netns/p" }],
        memoryLimitBytes: 16 * 1024 * 1024,
        cpus: 0.5,
        logPath: "/logs/0.log",
      },
      "binary:///l?path=%2Flogs%2F0.log",
    );
    expect(args).toEqual([
      "run", "--detach", "--log-uri", "binary:///l?path=%2Flogs%2F0.log",
      "--label", "flotilla.dev/pod=uid-1",
      "--env", "A=1", "--env", "B=two words",
      "--cwd", "/work",
      "--mount", "type=bind,src=/data/e,dst=/data,options=rbind:rw",
      "--mount", "type=bind,src=/data/hosts,dst=/etc/hosts,options=rbind:ro",
      "--with-ns", "network:/var/run/netns/p",
      "--memory-limit", "16777216", "--cpus", "0.5",
      "--", "docker.io/library/busybox:local", "pod-web-0", "-not-a-flag", "x",
    ]);
  });

  it("leaves the command to the image when argv is absent", () => {
    const args = runArgs({ id: "c", image: "busybox", env: [], labels: {}, mounts: [], namespaces: [], logPath: "/l" }, "u");
    expect(args.slice(-3)).toEqual(["--", "docker.io/library/busybox:latest", "c"]);
  });
});

describe("readImageConfig", () => {
  const blobs: Record<string, object> = {
    "sha256:index": {
      manifests: [
        { digest: "sha256:arm", platform: { os: "linux", architecture: "arm64" } },
        { digest: "sha256:amd", platform: { os: "linux", architecture: "amd64" } },
      ],
    },
    "sha256:amd": { config: { digest: "sha256:cfg-amd" } },
    "sha256:arm": { config: { digest: "sha256:cfg-arm" } },
    "sha256:cfg-amd": { config: { Entrypoint: ["/entry"], Cmd: ["serve"], Env: ["PATH=/bin"], WorkingDir: "/app" } },
    "sha256:cfg-arm": { config: { Cmd: ["arm"], Entrypoint: null } },
  };
  const read = async (d: string) => JSON.stringify(blobs[d]);

  it("picks the platform's manifest from an index and reads its config", async () => {
    expect(await readImageConfig(read, "sha256:index", { os: "linux", architecture: "amd64" })).toEqual({
      entrypoint: ["/entry"],
      cmd: ["serve"],
      env: ["PATH=/bin"],
      workingDir: "/app",
    });
    expect(await readImageConfig(read, "sha256:arm", { os: "linux", architecture: "amd64" })).toEqual({
      entrypoint: [],
      cmd: ["arm"],
      env: [],
      workingDir: "",
    });
  });

  it("fails for an index without the platform", async () => {
    await expect(readImageConfig(read, "sha256:index", { os: "linux", architecture: "s390x" })).rejects.toThrow(/no manifest for linux\/s390x/);
  });
});
