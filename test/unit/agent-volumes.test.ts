import { createServer, type Server } from "node:net";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ContainerConfigError } from "../../agent/pods/config-error";
import type { ObjectLookup } from "../../agent/pods/env";
import { prepareVolumes, removePodVolumes, type VolumeMounter } from "../../agent/pods/volumes";

const UID = "3f1c2b9a-aaaa-bbbb-cccc-000011112222";
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** Records tmpfs requests instead of mounting (mounting needs root; the agent tests cover it). */
class FakeMounter implements VolumeMounter {
  readonly mounted = new Map<string, { sizeBytes?: number; mode: number }>();
  readonly unmounted: string[] = [];
  async ensureTmpfs(dir: string, opts: { sizeBytes?: number; mode: number }): Promise<boolean> {
    if (this.mounted.has(dir)) return false;
    this.mounted.set(dir, opts);
    return true;
  }
  async unmountBelow(dir: string): Promise<void> {
    for (const d of [...this.mounted.keys()]) if (d === dir || d.startsWith(`${dir}/`)) {
      this.mounted.delete(d);
      this.unmounted.push(d);
    }
  }
}

class MapLookup implements ObjectLookup {
  configMaps = new Map<string, any>();
  secrets = new Map<string, any>();
  async configMap(ns: string, name: string) {
    return this.configMaps.get(`${ns}/${name}`);
  }
  async secret(ns: string, name: string) {
    return this.secrets.get(`${ns}/${name}`);
  }
}

function pod(volumes: any[], extra: any = {}): any {
  return {
    metadata: { name: "p", namespace: "ns", uid: UID, labels: { app: "web" }, annotations: { note: "x" } },
    spec: { nodeName: "n1", containers: [{ name: "app", resources: { limits: { cpu: "250m", memory: "64Mi" } } }], volumes, ...extra },
  };
}

let root: string;
let dataDir: string;
let lookup: MapLookup;
let mounter: FakeMounter;
const prepare = (p: any) => prepareVolumes(p, { dataDir, lookup, nodeName: "n1", podIP: "10.244.0.7", mounter });
const volDir = (kind: string, name: string) => join(dataDir, "pods", UID, "volumes", kind, name);
const mode = async (p: string) => (await stat(p)).mode & 0o7777;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "flotilla-volumes-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  dataDir = await mkdtemp(join(root, "data-"));
  lookup = new MapLookup();
  mounter = new FakeMounter();
});

describe("emptyDir", () => {
  it("is a world-writable directory under the pod, kept across calls", async () => {
    const p = pod([{ name: "scratch", emptyDir: {} }, { name: "nosource" }]);
    const v = await prepare(p);
    const dir = volDir("empty-dir", "scratch");
    expect(v.paths.get("scratch")).toBe(dir);
    expect(v.paths.get("nosource")).toBe(volDir("empty-dir", "nosource"));
    expect(await mode(dir)).toBe(0o777);
    await writeFile(join(dir, "kept"), "data");
    const { chmod } = await import("node:fs/promises");
    await chmod(dir, 0o700);
    await prepare(p);
    expect(await readFile(join(dir, "kept"), "utf8")).toBe("data");
    expect(await mode(dir)).toBe(0o700);
    expect(mounter.mounted.size).toBe(0);
  });

  it("puts a tmpfs bounded by sizeLimit under medium Memory", async () => {
    await prepare(pod([{ name: "mem", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }]));
    expect(mounter.mounted.get(volDir("empty-dir", "mem"))).toEqual({ mode: 0o777, sizeBytes: 64 * 1024 * 1024 });
  });

  it("rejects media this node does not have", async () => {
    await expect(prepare(pod([{ name: "huge", emptyDir: { medium: "HugePages" } }]))).rejects.toThrow(ContainerConfigError);
  });

  it("belongs to the fsGroup, setgid, when the pod has one", async () => {
    const gid = process.getgid!();
    await prepare(pod([{ name: "shared", emptyDir: {} }], { securityContext: { fsGroup: gid } }));
    const st = await stat(volDir("empty-dir", "shared"));
    expect(st.gid).toBe(gid);
    expect(st.mode & 0o7777).toBe(0o2777);
  });
});

describe("hostPath", () => {
  let server: Server;
  let socketPath: string;
  beforeAll(async () => {
    socketPath = join(root, "s.sock");
    server = createServer();
    await new Promise<void>((r) => server.listen(socketPath, r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const hp = (path: string, type?: string) => pod([{ name: "h", hostPath: { path, type } }]);

  it("creates DirectoryOrCreate and the untyped path as directories", async () => {
    const a = join(root, "made", "deep");
    const b = join(root, "untyped");
    expect((await prepare(hp(a, "DirectoryOrCreate"))).paths.get("h")).toBe(a);
    expect((await prepare(hp(b, ""))).paths.get("h")).toBe(b);
    expect((await stat(a)).isDirectory()).toBe(true);
    expect((await stat(b)).isDirectory()).toBe(true);
  });

  it("creates FileOrCreate as an empty file, but not its parent", async () => {
    const f = join(root, "created.txt");
    await prepare(hp(f, "FileOrCreate"));
    expect((await stat(f)).isFile()).toBe(true);
    const orphan = join(root, "no-such-dir", "f.txt");
    await expect(prepare(hp(orphan, "FileOrCreate"))).rejects.toThrow(new ContainerConfigError(`open ${orphan}: no such file or directory`));
  });

  it.each([
    ["Directory", "/dev/null", "hostPath type check failed: /dev/null is not a directory"],
    ["DirectoryOrCreate", "/dev/null", "hostPath type check failed: /dev/null is not a directory"],
    ["File", "/tmp", "hostPath type check failed: /tmp is not a file"],
    ["FileOrCreate", "/tmp", "hostPath type check failed: /tmp is not a file"],
    ["Socket", "/tmp", "hostPath type check failed: /tmp is not a socket file"],
    ["CharDevice", "/tmp", "hostPath type check failed: /tmp is not a character device"],
    ["BlockDevice", "/dev/null", "hostPath type check failed: /dev/null is not a block device"],
    ["Directory", "/no/such/dir", "hostPath type check failed: /no/such/dir is not a directory"],
  ])("%s rejects %s", async (type, path, message) => {
    await expect(prepare(hp(path, type))).rejects.toThrow(new ContainerConfigError(message));
  });

  it("accepts what each type asks for", async () => {
    expect((await prepare(hp("/dev/null", "CharDevice"))).paths.get("h")).toBe("/dev/null");
    expect((await prepare(hp(socketPath, "Socket"))).paths.get("h")).toBe(socketPath);
    expect((await prepare(hp("/tmp/", "Directory"))).paths.get("h")).toBe("/tmp");
  });

  it("rejects an unknown type and a relative path", async () => {
    await expect(prepare(hp("/tmp", "Fifo"))).rejects.toThrow(ContainerConfigError);
    await expect(prepare(hp("tmp", "Directory"))).rejects.toThrow(ContainerConfigError);
  });
});

describe("configMap volumes", () => {
  it("writes each key behind a ..data symlink, text and binary, with defaultMode", async () => {
    lookup.configMaps.set("ns/cfg", { data: { "app.conf": "port=80\n", "b.txt": "bee" }, binaryData: { "logo.bin": Buffer.from([0, 1, 2, 255]).toString("base64") } });
    await prepare(pod([{ name: "c", configMap: { name: "cfg", defaultMode: 0o640 } }]));
    const dir = volDir("configmap", "c");
    expect(await readFile(join(dir, "app.conf"), "utf8")).toBe("port=80\n");
    expect([...(await readFile(join(dir, "logo.bin")))]).toEqual([0, 1, 2, 255]);
    expect(await readlink(join(dir, "app.conf"))).toBe("..data/app.conf");
    expect((await readlink(join(dir, "..data"))).startsWith("..")).toBe(true);
    expect(await mode(join(dir, "app.conf"))).toBe(0o640);
  });

  it("selects and renames keys with items, per-item modes and nested paths", async () => {
    lookup.configMaps.set("ns/cfg", { data: { a: "A", b: "B", c: "C" } });
    await prepare(pod([{ name: "c", configMap: { name: "cfg", items: [{ key: "a", path: "conf/first.txt", mode: 0o600 }, { key: "b", path: "second" }] } }]));
    const dir = volDir("configmap", "c");
    const names = (await readdir(dir)).sort();
    expect(names.filter((n) => !n.startsWith(".."))).toEqual(["conf", "second"]);
    expect(names.filter((n) => n.startsWith("..")).length).toBe(2);
    expect(await readFile(join(dir, "conf/first.txt"), "utf8")).toBe("A");
    expect(await mode(join(dir, "conf/first.txt"))).toBe(0o600);
    expect(await mode(join(dir, "second"))).toBe(0o644);
    expect(await readlink(join(dir, "conf"))).toBe("..data/conf");
  });

  it("follows the ConfigMap: changed content swaps ..data, removed keys disappear, unchanged content stays put", async () => {
    const p = pod([{ name: "c", configMap: { name: "cfg" } }]);
    const dir = volDir("configmap", "c");
    lookup.configMaps.set("ns/cfg", { data: { keep: "1", drop: "2" } });
    await prepare(p);
    const first = await readlink(join(dir, "..data"));
    await prepare(p);
    expect(await readlink(join(dir, "..data"))).toBe(first);

    await mkdir(join(dir, "..interrupted"));
    lookup.configMaps.set("ns/cfg", { data: { keep: "1b", added: "3" } });
    await prepare(p);
    const second = await readlink(join(dir, "..data"));
    expect(second).not.toBe(first);
    expect(await readFile(join(dir, "keep"), "utf8")).toBe("1b");
    expect(await readFile(join(dir, "added"), "utf8")).toBe("3");
    await expect(lstat(join(dir, "drop"))).rejects.toThrow(/ENOENT/);
    await expect(stat(join(dir, first))).rejects.toThrow(/ENOENT/);
    expect((await readdir(dir)).filter((n) => n.startsWith("..")).sort()).toEqual(["..data", second].sort());
  });

  it("reports a missing ConfigMap or key unless optional", async () => {
    await expect(prepare(pod([{ name: "c", configMap: { name: "gone" } }]))).rejects.toThrow(new ContainerConfigError('configmap "gone" not found'));
    lookup.configMaps.set("ns/cfg", { data: { a: "A" } });
    await expect(prepare(pod([{ name: "c", configMap: { name: "cfg", items: [{ key: "zz", path: "z" }] } }]))).rejects.toThrow(
      new ContainerConfigError("configmap references non-existent config key: zz"),
    );
    const v = await prepare(pod([{ name: "c", configMap: { name: "gone", optional: true } }, { name: "d", configMap: { name: "cfg", optional: true, items: [{ key: "zz", path: "z" }, { key: "a", path: "a" }] } }]));
    expect((await readdir(v.paths.get("c")!)).filter((n) => !n.startsWith(".."))).toEqual([]);
    expect((await readdir(v.paths.get("d")!)).filter((n) => !n.startsWith(".."))).toEqual(["a"]);
  });

  it("refuses item paths that climb out of the volume", async () => {
    lookup.configMaps.set("ns/cfg", { data: { a: "A" } });
    await expect(prepare(pod([{ name: "c", configMap: { name: "cfg", items: [{ key: "a", path: "../../escape" }] } }]))).rejects.toThrow(ContainerConfigError);
    await expect(prepare(pod([{ name: "c", configMap: { name: "cfg", items: [{ key: "a", path: "/etc/passwd" }] } }]))).rejects.toThrow(ContainerConfigError);
  });

  it("makes files group-readable by the fsGroup", async () => {
    const gid = process.getgid!();
    lookup.configMaps.set("ns/cfg", { data: { a: "A" } });
    await prepare(pod([{ name: "c", configMap: { name: "cfg", defaultMode: 0o600 } }], { securityContext: { fsGroup: gid } }));
    const st = await stat(join(volDir("configmap", "c"), "a"));
    expect(st.gid).toBe(gid);
    expect(st.mode & 0o777).toBe(0o640);
  });
});

describe("secret volumes", () => {
  it("decodes the data into a tmpfs, 0600 unless a mode says otherwise", async () => {
    lookup.secrets.set("ns/db", { data: { user: b64("admin"), pass: b64("hunter2") } });
    const v = await prepare(pod([{ name: "s", secret: { secretName: "db" } }, { name: "t", secret: { secretName: "db", defaultMode: 0o440, items: [{ key: "pass", path: "p", mode: 0o400 }, { key: "user", path: "u" }] } }]));
    const s = v.paths.get("s")!;
    expect(s).toBe(volDir("secret", "s"));
    expect(await readFile(join(s, "pass"), "utf8")).toBe("hunter2");
    expect(await mode(join(s, "user"))).toBe(0o600);
    expect(mounter.mounted.get(s)).toEqual({ mode: 0o755 });
    const t = v.paths.get("t")!;
    expect(await mode(join(t, "p"))).toBe(0o400);
    expect(await mode(join(t, "u"))).toBe(0o440);
  });

  it("reports a missing Secret or key without revealing any value", async () => {
    await expect(prepare(pod([{ name: "s", secret: { secretName: "gone" } }]))).rejects.toThrow(new ContainerConfigError('secret "gone" not found'));
    lookup.secrets.set("ns/db", { data: { user: b64("admin") } });
    await expect(prepare(pod([{ name: "s", secret: { secretName: "db", items: [{ key: "pw", path: "pw" }] } }]))).rejects.toThrow(
      new ContainerConfigError("references non-existent secret key: pw"),
    );
    expect(mounter.mounted.size).toBe(0);
  });
});

describe("downwardAPI volumes", () => {
  it("writes pod fields and container resources, one file per item", async () => {
    const v = await prepare(
      pod([
        {
          name: "info",
          downwardAPI: {
            items: [
              { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
              { path: "meta/name", fieldRef: { fieldPath: "metadata.name" } },
              { path: "note", fieldRef: { fieldPath: "metadata.annotations['note']" }, mode: 0o600 },
              { path: "cpu_milli", resourceFieldRef: { containerName: "app", resource: "limits.cpu", divisor: "1m" } },
              { path: "mem_mi", resourceFieldRef: { containerName: "app", resource: "limits.memory", divisor: "1Mi" } },
            ],
          },
        },
      ]),
    );
    const dir = v.paths.get("info")!;
    expect(await readFile(join(dir, "labels"), "utf8")).toBe('app="web"');
    expect(await readFile(join(dir, "meta/name"), "utf8")).toBe("p");
    expect(await readFile(join(dir, "note"), "utf8")).toBe("x");
    expect(await mode(join(dir, "note"))).toBe(0o600);
    expect(await readFile(join(dir, "cpu_milli"), "utf8")).toBe("250");
    expect(await readFile(join(dir, "mem_mi"), "utf8")).toBe("64");
  });

  it("refreshes when labels change", async () => {
    const p = pod([{ name: "info", downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } }]);
    await prepare(p);
    p.metadata.labels = { app: "web", version: "2" };
    const v = await prepare(p);
    expect(await readFile(join(v.paths.get("info")!, "labels"), "utf8")).toBe('app="web"\nversion="2"');
  });
});

describe("projected volumes", () => {
  it("merges configMap, secret and downwardAPI sources in a tmpfs and skips service account tokens", async () => {
    lookup.configMaps.set("ns/ca", { data: { "ca.crt": "CERT" } });
    lookup.secrets.set("ns/key", { data: { "tls.key": b64("KEY") } });
    const v = await prepare(
      pod([
        {
          name: "all",
          projected: {
            sources: [
              { configMap: { name: "ca" } },
              { secret: { name: "key" } },
              { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
              { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
            ],
          },
        },
      ]),
    );
    const dir = v.paths.get("all")!;
    expect((await readdir(dir)).filter((n) => !n.startsWith("..")).sort()).toEqual(["ca.crt", "namespace", "tls.key"]);
    expect(await readFile(join(dir, "tls.key"), "utf8")).toBe("KEY");
    expect(await mode(join(dir, "ca.crt"))).toBe(0o644);
    expect(await mode(join(dir, "tls.key"))).toBe(0o600);
    expect(mounter.mounted.has(dir)).toBe(true);
  });

  it("reports every broken source at once", async () => {
    await expect(prepare(pod([{ name: "all", projected: { defaultMode: 0o644, sources: [{ configMap: { name: "a" } }, { secret: { name: "b" } }] } }]))).rejects.toThrow(
      new ContainerConfigError('[configmap "a" not found, secret "b" not found]'),
    );
  });
});

describe("other volume types", () => {
  it("are a config error naming the type", async () => {
    await expect(prepare(pod([{ name: "data", persistentVolumeClaim: { claimName: "pvc" } }]))).rejects.toThrow(
      new ContainerConfigError('volume "data": volume type "persistentVolumeClaim" is not supported by this node'),
    );
  });
});

describe("removePodVolumes", () => {
  it("unmounts first, then deletes the pod's volume directories but not hostPaths", async () => {
    const host = join(root, "host-keep");
    lookup.secrets.set("ns/db", { data: { a: b64("1") } });
    await prepare(pod([{ name: "e", emptyDir: { medium: "Memory" } }, { name: "s", secret: { secretName: "db" } }, { name: "h", hostPath: { path: host, type: "DirectoryOrCreate" } }]));
    await writeFile(join(host, "f"), "x");
    await removePodVolumes(dataDir, UID, mounter);
    expect(mounter.unmounted.sort()).toEqual([volDir("empty-dir", "e"), volDir("secret", "s")].sort());
    await expect(stat(join(dataDir, "pods", UID, "volumes"))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(host, "f"), "utf8")).toBe("x");
    await removePodVolumes(dataDir, UID, mounter);
  });

  it("leaves the directories alone when unmounting fails", async () => {
    await prepare(pod([{ name: "e", emptyDir: {} }]));
    const failing: VolumeMounter = { ensureTmpfs: async () => false, unmountBelow: async () => Promise.reject(new Error("busy")) };
    await expect(removePodVolumes(dataDir, UID, failing)).rejects.toThrow("busy");
    expect((await stat(volDir("empty-dir", "e"))).isDirectory()).toBe(true);
  });

  it("refuses a uid that is not a plain name", async () => {
    await mkdir(join(dataDir, "victim"));
    await expect(removePodVolumes(join(dataDir, "pods", "x"), "..", mounter)).rejects.toThrow();
    await expect(removePodVolumes(dataDir, "../victim", mounter)).rejects.toThrow();
    expect((await stat(join(dataDir, "victim"))).isDirectory()).toBe(true);
  });
});
