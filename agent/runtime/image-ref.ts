const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
const OFFICIAL_REPO_PREFIX = "library/";

/**
 * Docker's normalisation of an image reference, which is also how containerd names images: the
 * default registry and the `library/` prefix for official images are filled in, and a reference
 * with neither tag nor digest gets `:latest`. A digest is kept as it is.
 *
 * The first path component is a registry only if it looks like a host: it has a "." or a ":",
 * or is "localhost" (a component with capitals is also taken as a host, as Docker does).
 *
 * @example
 * normalizeImageRef("busybox");                  // "docker.io/library/busybox:latest"
 * normalizeImageRef("127.0.0.1:5000/x/y");       // "127.0.0.1:5000/x/y:latest"
 * normalizeImageRef("nginx@sha256:0123…");       // "docker.io/library/nginx@sha256:0123…"
 */
export function normalizeImageRef(ref: string): string {
  if (ref === "" || /\s/.test(ref)) throw new Error(`invalid image reference ${JSON.stringify(ref)}`);
  const at = ref.indexOf("@");
  const digest = at === -1 ? "" : ref.slice(at);
  const nameAndTag = at === -1 ? ref : ref.slice(0, at);

  const lastSlash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.indexOf(":", lastSlash + 1);
  const name = colon === -1 ? nameAndTag : nameAndTag.slice(0, colon);
  const tag = colon === -1 ? "" : nameAndTag.slice(colon);

  const withDomain = qualifyName(name);
  if (tag === "" && digest === "") return `${withDomain}:latest`;
  return withDomain + tag + digest;
}

function qualifyName(name: string): string {
  const slash = name.indexOf("/");
  const first = slash === -1 ? "" : name.slice(0, slash);
  const isHost = slash !== -1 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first);
  let domain = isHost ? first : DEFAULT_DOMAIN;
  let path = isHost ? name.slice(slash + 1) : name;
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes("/")) path = OFFICIAL_REPO_PREFIX + path;
  return `${domain}/${path}`;
}

/** Whether pulls from the reference's registry go over plain HTTP (a registry on this machine). */
export function isLocalRegistry(normalizedRef: string): boolean {
  const domain = normalizedRef.slice(0, normalizedRef.indexOf("/"));
  const host = domain.replace(/:\d+$/, "");
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}
