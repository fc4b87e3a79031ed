/**
 * Writes a volume's files so that a container never sees a half-updated set. Every version of
 * the content goes into a fresh hidden directory; a `..data` symlink names the current one and
 * is swapped with a single rename; the names users see are symlinks through `..data`:
 *
 *   config.yaml -> ..data/config.yaml
 *   ..data      -> ..k3j9Qz
 *   ..k3j9Qz/config.yaml
 *
 * Applications that watch for updates (they look for `..data` changing) work as on any cluster.
 */
import { chmod, lchown, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import { ContainerConfigError } from "./config-error";

export interface FileProjection {
  data: Buffer;
  /** Permission bits, such as 0o644. */
  mode: number;
}

/** File contents by path relative to the volume's root. */
export type Payload = Map<string, FileProjection>;

export interface WriteOptions {
  /** The pod's fsGroup: files become owned by this group and group-readable. */
  fsGroup?: number;
}

const DATA_LINK = "..data";
const DATA_LINK_TMP = "..data_tmp";

/**
 * Makes `dir` hold exactly `payload`; a no-op when it already does.
 * @returns whether the content changed.
 * @example await writeAtomically("/var/lib/flotilla/pods/u1/volumes/configmap/cfg", new Map([["a.txt", { data: Buffer.from("x"), mode: 0o644 }]]));
 */
export async function writeAtomically(dir: string, payload: Payload, opts: WriteOptions = {}): Promise<boolean> {
  const files = normalizePayload(payload, opts);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const current = await readlink(join(dir, DATA_LINK)).catch(() => undefined);
  if (current !== undefined && (await holdsExactly(join(dir, current), files))) {
    await linkUserVisibleNames(dir, files);
    return false;
  }
  // Concatenated, not joined: join() would read ".." as the parent directory.
  const next = await mkdtemp(`${dir}/..`);
  await chmod(next, 0o755);
  for (const [path, file] of files) {
    const full = join(next, path);
    await makeDirs(next, dirname(path));
    await writeFile(full, file.data, { mode: file.mode });
    await chmod(full, file.mode);
  }
  if (opts.fsGroup !== undefined) await applyGroup(next, opts.fsGroup);
  await rm(join(dir, DATA_LINK_TMP), { force: true });
  await symlink(basename(next), join(dir, DATA_LINK_TMP));
  await rename(join(dir, DATA_LINK_TMP), join(dir, DATA_LINK));
  await linkUserVisibleNames(dir, files);
  // The previous version, and any left behind by a write that was interrupted.
  for (const name of await readdir(dir)) {
    if (name.startsWith("..") && name !== DATA_LINK && name !== basename(next)) await rm(join(dir, name), { recursive: true, force: true });
  }
  return true;
}

/** Checks and cleans the paths (no absolute paths, no `..`), folding in the fsGroup's read bits. */
function normalizePayload(payload: Payload, opts: WriteOptions): Payload {
  const out: Payload = new Map();
  for (const [raw, file] of payload) {
    const path = posix.normalize(raw).replace(/\/+$/, "");
    const segments = path.split("/");
    if (!raw || path.startsWith("/") || segments.includes("..") || path === "." || segments[0].startsWith("..")) {
      throw new ContainerConfigError(`invalid file path ${JSON.stringify(raw)} in volume: must be relative, without '..'`);
    }
    const mode = (file.mode & 0o7777) | (opts.fsGroup !== undefined ? 0o440 : 0);
    out.set(path, { data: file.data, mode });
  }
  return out;
}

/** Creates the directories of a relative path, each 0755 whatever the umask says. */
async function makeDirs(root: string, relative: string): Promise<void> {
  let current = root;
  for (const segment of relative === "." ? [] : relative.split("/")) {
    current = join(current, segment);
    try {
      await mkdir(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      continue;
    }
    await chmod(current, 0o755);
  }
}

/** Whether a content directory holds exactly these files, with these bytes and modes. */
async function holdsExactly(root: string, files: Payload): Promise<boolean> {
  const found = await listFiles(root).catch(() => undefined);
  if (!found || found.length !== files.size) return false;
  for (const path of found) {
    const want = files.get(path);
    if (!want) return false;
    const full = join(root, path);
    const st = await stat(full);
    if ((st.mode & 0o7777) !== want.mode) return false;
    if (!(await readFile(full)).equals(want.data)) return false;
  }
  return true;
}

async function listFiles(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out;
}

/** One symlink per top-level name into `..data`; links to names that are gone are removed. */
async function linkUserVisibleNames(dir: string, files: Payload): Promise<void> {
  const tops = new Set([...files.keys()].map((p) => p.split("/")[0]));
  for (const top of tops) {
    const link = join(dir, top);
    const target = `${DATA_LINK}/${top}`;
    const existing = await readlink(link).catch(() => undefined);
    if (existing === target) continue;
    await rm(link, { recursive: true, force: true });
    await symlink(target, link);
  }
  for (const name of await readdir(dir)) {
    if (name.startsWith("..") || tops.has(name)) continue;
    const link = join(dir, name);
    const st = await lstat(link);
    if (st.isSymbolicLink() && (await readlink(link)).startsWith(`${DATA_LINK}/`)) await unlink(link);
  }
}

/** Group ownership as the kubelet applies an fsGroup to a read-only volume: group-readable, setgid directories. */
async function applyGroup(root: string, gid: number): Promise<void> {
  await lchown(root, -1, gid);
  await chmod(root, ((await stat(root)).mode & 0o7777) | 0o2550);
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const full = join(root, entry.name);
    if (entry.isDirectory()) await applyGroup(full, gid);
    else await lchown(full, -1, gid);
  }
}
