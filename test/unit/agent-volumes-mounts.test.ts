import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerConfigError } from "../../agent/pods/config-error";
import { containerMounts, type PreparedVolumes } from "../../agent/pods/volumes";
import { writeAtomically } from "../../agent/pods/volumes-atomic-writer";

let root: string;
let cache: string;
let cfg: string;
let outside: string;
let volumes: PreparedVolumes;
const pod = {
  metadata: { name: "p", namespace: "ns", uid: "u1" },
  spec: {
    volumes: [
      { name: "cache", emptyDir: {} },
      { name: "cfg", configMap: { name: "c" } },
    ],
  },
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "flotilla-mounts-"));
  cache = join(root, "cache");
  cfg = join(root, "cfg");
  outside = join(root, "outside");
  await mkdir(cache);
  await chmod(cache, 0o777);
  await mkdir(outside);
  await writeAtomically(cfg, new Map([["app.conf", { data: Buffer.from("x"), mode: 0o644 }]]));
  // What a container could plant in a shared volume to reach the host.
  await symlink(outside, join(cache, "escape"));
  await symlink("/etc/passwd", join(cache, "passwd"));
  volumes = { paths: new Map([["cache", cache], ["cfg", cfg]]) };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const c = (volumeMounts: any[]) => ({ name: "app", volumeMounts });

describe("containerMounts", () => {
  it("maps each volumeMount; API data volumes are always read-only", () => {
    const mounts = containerMounts(c([{ name: "cache", mountPath: "/cache" }, { name: "cache", mountPath: "/ro", readOnly: true }, { name: "cfg", mountPath: "/etc/app" }]), volumes, pod);
    expect(mounts).toEqual([
      { source: cache, destination: "/cache", readOnly: false },
      { source: cache, destination: "/ro", readOnly: true },
      { source: cfg, destination: "/etc/app", readOnly: true },
    ]);
  });

  it("has no mounts for a container without volumeMounts", () => {
    expect(containerMounts({ name: "app" }, volumes, pod)).toEqual([]);
  });

  it("rejects a mount of a volume the pod does not define", () => {
    expect(() => containerMounts(c([{ name: "nope", mountPath: "/x" }]), volumes, pod)).toThrow(new ContainerConfigError('cannot find volume "nope" to mount into container "app"'));
  });

  it("creates a missing subPath as a directory with the volume's mode", async () => {
    const [m] = containerMounts(c([{ name: "cache", mountPath: "/data", subPath: "a/b" }]), volumes, pod);
    expect(m.source).toBe(join(cache, "a", "b"));
    expect((await stat(m.source)).mode & 0o777).toBe(0o777);
  });

  it("mounts one file of a configMap volume through its symlinks", () => {
    const [m] = containerMounts(c([{ name: "cfg", mountPath: "/etc/app.conf", subPath: "app.conf" }]), volumes, pod);
    expect(m.source.startsWith(`${cfg}/..`)).toBe(true);
    expect(m.source.endsWith("/app.conf")).toBe(true);
    expect(m.readOnly).toBe(true);
  });

  it.each([
    ["../x", "unable to provision SubPath `../x`: must not contain '..'"],
    ["a/../../x", "unable to provision SubPath `a/../../x`: must not contain '..'"],
    ["/etc", "error SubPath `/etc` must not be an absolute path"],
  ])("rejects subPath %j", (subPath, message) => {
    expect(() => containerMounts(c([{ name: "cache", mountPath: "/d", subPath }]), volumes, pod)).toThrow(new ContainerConfigError(message));
  });

  it.each(["escape", "escape/new-dir", "passwd"])("does not follow a symlink out of the volume: %j", async (subPath) => {
    expect(() => containerMounts(c([{ name: "cache", mountPath: "/d", subPath }]), volumes, pod)).toThrow(new ContainerConfigError('failed to prepare subPath for volumeMount "cache" of container "app"'));
    expect(await readdir(outside)).toEqual([]);
  });

  it("follows a symlink that stays inside the volume", async () => {
    await mkdir(join(cache, "real"), { recursive: true });
    await symlink("real", join(cache, "alias"));
    const [m] = containerMounts(c([{ name: "cache", mountPath: "/d", subPath: "alias/inner" }]), volumes, pod);
    expect(m.source).toBe(join(cache, "real", "inner"));
  });

  it("expands subPathExpr from the container's environment", async () => {
    const [m] = containerMounts(c([{ name: "cache", mountPath: "/logs", subPathExpr: "logs/$(POD_NAME)" }]), volumes, pod, ["POD_NAME=web-1"]);
    expect(m.source).toBe(join(cache, "logs", "web-1"));
    await writeFile(join(m.source, "probe"), "");
  });

  it("rejects subPathExpr referring to unset or empty variables", () => {
    expect(() => containerMounts(c([{ name: "cache", mountPath: "/d", subPathExpr: "$(B)/$(A)/$(SET)" }]), volumes, pod, ["SET=x", "A="])).toThrow(new ContainerConfigError("missing value for A, B"));
  });
});
