// The agent tests' container image: the host's static busybox as a one-layer OCI image, built
// locally (no registry, no network) and imported into the namespace a test works in.
import { createHash } from "node:crypto";
import { access, chmod, copyFile, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { spawnRunner } from "../../agent/runtime/command";
import { Ctr } from "../../agent/runtime/ctr";
import { hostPlatform } from "../../agent/runtime/image-config";

export const BUSYBOX_REF = "docker.io/library/busybox:local";
const BUSYBOX_BINARY = "/bin/busybox";
// Bump when the image's layout changes, so a cached tar from an older build is not reused.
const FORMAT = "1";

/** The programs reachable by name inside the image (symlinks to busybox in /bin). */
export const BUSYBOX_APPLETS = [
  "sh", "cat", "echo", "env", "hostname", "httpd", "ls", "nslookup", "sleep", "wget", "nc", "ip", "ps",
  "kill", "date", "true", "false", "printf", "mkdir", "grep", "head", "tail", "dd", "seq", "test",
  "timeout", "touch", "rm", "id", "uname", "sed", "awk", "tr", "wc", "cut", "sort", "cp", "mv", "ln",
  "chmod", "pwd", "ping", "stat", "find", "xargs", "yes", "tee", "netstat",
];

const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
};

let imageTar: Promise<string> | undefined;

/**
 * The image as an OCI image-layout tar, built once per process and cached under the system's
 * temporary folder (keyed by the busybox binary, so a different busybox makes a new image).
 */
export function busyboxImageTar(): Promise<string> {
  imageTar ??= buildImageTar().catch((err) => {
    imageTar = undefined;
    throw err;
  });
  return imageTar;
}

/** Imports the test image into `namespace` (unless it is there already) and returns its ref. */
export async function ensureBusyboxImage(namespace: string, ctr = new Ctr({ namespace })): Promise<string> {
  if (await ctr.hasImage(BUSYBOX_REF)) return BUSYBOX_REF;
  const refs = await ctr.importImage(await busyboxImageTar());
  if (!refs.includes(BUSYBOX_REF)) throw new Error(`importing the test image gave ${JSON.stringify(refs)}`);
  return BUSYBOX_REF;
}

/** Removes every container (with its task), every image and then the namespace itself. */
export async function cleanupNamespace(namespace: string): Promise<void> {
  const ctr = new Ctr({ namespace });
  for (const c of await ctr.listContainers()) await ctr.deleteContainer(c.id);
  for (const image of await ctr.listImages()) await ctr.removeImage(image.ref);
  // containerd collects unpacked layers in the background, so the namespace may take a moment
  // to become empty; snapshots left by an interrupted run are removed by hand.
  for (let attempt = 1; ; attempt++) {
    const r = await spawnRunner.run("ctr", ["namespaces", "remove", namespace]);
    if (r.code === 0 || /not found/.test(r.stderr)) return;
    if (attempt === 10) throw new Error(`removing namespace ${namespace}: ${r.stderr.trim()}`);
    if (attempt >= 3) await removeSnapshots(namespace);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function removeSnapshots(namespace: string): Promise<void> {
  const ls = await spawnRunner.run("ctr", ["--namespace", namespace, "snapshots", "list"]);
  const keys = ls.stdout.split("\n").slice(1).map((l) => l.split(/\s+/)[0]).filter((k) => k);
  // A snapshot with children fails now and goes on a later attempt, once they are gone.
  for (const key of keys) await spawnRunner.run("ctr", ["--namespace", namespace, "snapshots", "remove", key]);
}

async function buildImageTar(): Promise<string> {
  const busybox = await readFile(BUSYBOX_BINARY);
  const key = sha256(Buffer.concat([busybox, Buffer.from(`${FORMAT}\n${BUSYBOX_APPLETS.join(" ")}`)])).slice(0, 16);
  const out = join(tmpdir(), `flotilla-busybox-${key}.tar`);
  if (await exists(out)) return out;

  const work = await mkdtemp(join(tmpdir(), "flotilla-busybox-build-"));
  try {
    const rootfs = join(work, "rootfs");
    await mkdir(join(rootfs, "bin"), { recursive: true });
    await copyFile(BUSYBOX_BINARY, join(rootfs, "bin", "busybox"));
    await chmod(join(rootfs, "bin", "busybox"), 0o755);
    for (const applet of BUSYBOX_APPLETS) await symlink("busybox", join(rootfs, "bin", applet));

    const layerTar = join(work, "layer.tar");
    await tar(["-C", rootfs, "-cf", layerTar, "."]);
    const layer = await readFile(layerTar);
    const layerGz = gzipSync(layer, { level: 9 });

    const layout = join(work, "layout");
    const blobs = join(layout, "blobs", "sha256");
    await mkdir(blobs, { recursive: true });
    const putBlob = async (mediaType: string, data: Buffer) => {
      const digest = sha256(data);
      await writeFile(join(blobs, digest), data);
      return { mediaType, digest: `sha256:${digest}`, size: data.length };
    };

    const { os, architecture } = hostPlatform();
    const config = await putBlob(
      MEDIA.config,
      json({
        architecture,
        os,
        config: { Env: ["PATH=/bin"], Cmd: ["sh"] },
        rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layer)}`] },
      }),
    );
    const layerDesc = await putBlob(MEDIA.layer, layerGz);
    const manifest = await putBlob(MEDIA.manifest, json({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers: [layerDesc] }));
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          ...manifest,
          platform: { os, architecture },
          annotations: { "io.containerd.image.name": BUSYBOX_REF, "org.opencontainers.image.ref.name": "local" },
        },
      ],
    };
    await writeFile(join(layout, "index.json"), json(index));
    await writeFile(join(layout, "oci-layout"), json({ imageLayoutVersion: "1.0.0" }));

    // Built beside its final name and renamed, so a concurrent build never sees half a file.
    const partial = join(work, "image.tar");
    await tar(["-C", layout, "-cf", partial, "."]);
    await rename(partial, out).catch(async () => {
      await copyFile(partial, `${out}.${process.pid}`);
      await rename(`${out}.${process.pid}`, out);
    });
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** GNU tar with the entries' owners and times fixed, so the same files give the same bytes. */
async function tar(args: string[]): Promise<void> {
  const r = await spawnRunner.run("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", ...args]);
  if (r.code !== 0) throw new Error(`tar ${args.join(" ")}: ${r.stderr.trim()}`);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
