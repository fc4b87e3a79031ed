/**
 * Joining a cluster: trade a bootstrap token for a node credential (user system:node:<name>,
 * group system:nodes), after making sure the server is the one the pin names. The credential is
 * saved, so a restarted agent resumes as the same node without a token.
 */
import { ApiError, isUnreachable } from "../api/api-error";
import { Backoff, pause } from "../api/backoff";
import { ApiClient } from "../api/client";
import { systemClock, type Clock } from "../../src/lib/clock";
import { caCertHash } from "./ca-pin";
import { credentialPath, loadCredential, normalizeServer, saveCredential, type NodeCredential } from "./credential-store";
import { JoinError } from "./join-error";
import { discoverPinnedCa } from "./server-ca";

export type { NodeCredential } from "./credential-store";
export { JoinError } from "./join-error";

export interface JoinOptions {
  /** The API server, https://host:port. */
  server: string;
  /** `<id>.<secret>`; not needed when a credential for this server and node is saved. */
  bootstrapToken?: string;
  /** `sha256:<hex>` of the CA's public key (kubeadm's form); the server's CA must match it. */
  caCertHash?: string;
  /** The CA to trust, when it is known already (checked against caCertHash when both are given). */
  caPem?: string;
  nodeName: string;
  dataDir: string;
  /** Decides whether a saved credential has expired (default the system clock). */
  clock?: Clock;
  /** Attempts while the server is unreachable (default 5). */
  attempts?: number;
  /** Waiting between attempts (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the retry jitter (default Math.random). */
  random?: () => number;
}

export const NODE_CREDENTIAL_REQUESTS_PATH = "/apis/flotilla.dev/v1/nodecredentialrequests";

const BOOTSTRAP_TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
const TOKEN_HINT = "create a new one with `npx flotilla token create`";

/**
 * Returns the node's credential: the saved one when it is for this server and node and still
 * valid, else a new one for the bootstrap token (then saved).
 *
 * @example
 * const cred = await joinCluster({ server: "https://10.0.0.2:8787", bootstrapToken: "abcdef.0123456789abcdef", caCertHash: "sha256:...", nodeName: "n1", dataDir: "/var/lib/flotilla" });
 * const client = new ApiClient({ server: cred.server, token: cred.token, caPem: cred.caPem });
 */
export async function joinCluster(opts: JoinOptions): Promise<NodeCredential> {
  const server = checkedServer(opts.server);
  const clock = opts.clock ?? systemClock;
  const saved = await loadCredential(opts.dataDir);
  if (saved && normalizeServer(saved.server) === server && saved.nodeName === opts.nodeName) {
    const expires = Date.parse(saved.expirationTimestamp);
    if (!(expires <= clock.now())) return saved;
    if (!opts.bootstrapToken) {
      throw new JoinError("CredentialExpired", `the node credential in ${credentialPath(opts.dataDir)} expired at ${saved.expirationTimestamp}; join again with a bootstrap token (${TOKEN_HINT})`);
    }
  }
  const token = opts.bootstrapToken?.trim();
  if (!token) throw new JoinError("NoToken", `this node has not joined ${server} yet: a bootstrap token is needed (${TOKEN_HINT})`);
  if (!BOOTSTRAP_TOKEN.test(token)) throw new JoinError("BadToken", "the bootstrap token must look like <6 characters>.<16 characters> (lower-case letters and digits)");
  if (opts.caPem && opts.caCertHash && caCertHash(opts.caPem) !== opts.caCertHash.trim().toLowerCase()) {
    throw new JoinError("CaMismatch", "the given CA certificate does not match --ca-cert-hash");
  }

  const attempts = opts.attempts ?? 5;
  const backoff = new Backoff({ initialMs: 1000, maxMs: 15_000, random: opts.random });
  const never = new AbortController().signal;
  for (let attempt = 1; ; attempt++) {
    try {
      const cred = await requestCredential(server, token, opts);
      await saveCredential(opts.dataDir, cred);
      return cred;
    } catch (e) {
      if (e instanceof JoinError) throw e;
      if (!isUnreachable(e)) throw explain(e, server);
      if (attempt >= attempts) {
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new JoinError("Unreachable", `cannot reach the API server at ${server} (${why}) after ${attempts} attempts; check the address and that the control plane is running`);
      }
      await pause(backoff.next(), never, opts.sleep);
    }
  }
}

function checkedServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new JoinError("BadServer", `${JSON.stringify(server)} is not a URL; give the API server as https://host:port`);
  }
  if (url.protocol !== "https:") throw new JoinError("BadServer", `the API server must be an https:// URL, not ${server}`);
  return normalizeServer(server);
}

/** One attempt: settle whom to trust, then ask for the credential. */
async function requestCredential(server: string, bootstrapToken: string, opts: JoinOptions): Promise<NodeCredential> {
  const caPem = opts.caPem ?? (opts.caCertHash ? await discoverPinnedCa(new URL(server), opts.caCertHash) : undefined);
  const client = new ApiClient({ server, token: bootstrapToken, caPem, userAgent: "flotilla-agent/join" });
  try {
    const answer = await client.create(NODE_CREDENTIAL_REQUESTS_PATH, {
      apiVersion: "flotilla.dev/v1",
      kind: "NodeCredentialRequest",
      spec: { nodeName: opts.nodeName },
    });
    const token = answer?.status?.token;
    const expirationTimestamp = answer?.status?.expirationTimestamp;
    if (typeof token !== "string" || !token || typeof expirationTimestamp !== "string") {
      throw new JoinError("BadAnswer", `the API server at ${server} answered the credential request without a token`);
    }
    return { server, ...(caPem ? { caPem } : {}), token, nodeName: opts.nodeName, expirationTimestamp };
  } finally {
    client.close();
  }
}

/** A JoinError for a failure that retrying will not mend. */
function explain(e: unknown, server: string): JoinError {
  if (e instanceof ApiError) {
    if (e.status === 401) return new JoinError("TokenRejected", `the bootstrap token is unknown or has expired; ${TOKEN_HINT}`);
    if (e.status === 404) return new JoinError("Refused", `the API server at ${server} does not hand out node credentials (404 on ${NODE_CREDENTIAL_REQUESTS_PATH})`);
    return new JoinError("Refused", `the API server refused the join (${e.status} ${e.reason}): ${e.message}`);
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(code)) {
    return new JoinError("Untrusted", `cannot verify the API server's certificate (${code}); pass --ca-cert-hash with the cluster CA's pin`);
  }
  return new JoinError("Refused", `joining ${server} failed: ${(e as Error)?.message ?? String(e)}`);
}
