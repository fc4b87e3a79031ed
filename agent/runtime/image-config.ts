/** The parts of an OCI image config that decide how a container's process starts. */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
}

export interface Platform {
  os: string;
  architecture: string;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
}

/** Fetches a blob from the content store by digest. */
export type BlobReader = (digest: string) => Promise<string>;

/** Node's names for CPU architectures, in OCI's spelling. */
const OCI_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x" };

export function hostPlatform(): Platform {
  return { os: "linux", architecture: OCI_ARCH[process.arch] ?? process.arch };
}

/**
 * Walks from an image's top descriptor (an index, a Docker manifest list or a manifest) to its
 * config, choosing the manifest for `platform` in an index, and returns the process settings.
 */
export async function readImageConfig(readBlob: BlobReader, topDigest: string, platform: Platform): Promise<ImageConfig> {
  let doc = JSON.parse(await readBlob(topDigest)) as { manifests?: Descriptor[]; config?: Descriptor };
  if (doc.manifests) {
    const chosen = chooseManifest(doc.manifests, platform);
    if (!chosen) throw new Error(`image index ${topDigest} has no manifest for ${platform.os}/${platform.architecture}`);
    doc = JSON.parse(await readBlob(chosen.digest)) as { config?: Descriptor };
  }
  if (!doc.config) throw new Error(`image manifest under ${topDigest} has no config`);
  const config = JSON.parse(await readBlob(doc.config.digest)) as {
    config?: { Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[] | null; WorkingDir?: string };
  };
  const c = config.config ?? {};
  return { entrypoint: c.Entrypoint ?? [], cmd: c.Cmd ?? [], env: c.Env ?? [], workingDir: c.WorkingDir ?? "" };
}

function chooseManifest(manifests: Descriptor[], platform: Platform): Descriptor | undefined {
  const forPlatform = manifests.filter(
    (m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture,
  );
  // An index without platform fields (as image layouts often are) has one image per entry.
  const unlabelled = manifests.filter((m) => !m.platform);
  return forPlatform[0] ?? unlabelled[0];
}
