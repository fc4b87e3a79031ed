/**
 * Learning which CA to trust from the server itself, safely: kubeadm's discovery by CA pin. The
 * handshake is made without verification and nothing is sent over it; the chain the server
 * presents must hold a CA whose public key matches the pin and that signed the server's own
 * certificate, which must be valid for the host we dialled. Only that CA is trusted afterwards.
 */
import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { connect, type DetailedPeerCertificate } from "node:tls";
import { caCertHash } from "./ca-pin";
import { JoinError } from "./join-error";

/** The certificates a TLS server presents, its own first, as DER-built X509Certificates. */
export function presentedChain(server: URL, timeoutMs = 10_000): Promise<X509Certificate[]> {
  const host = server.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(server.port || 443);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false }, () => {
      const chain: X509Certificate[] = [];
      const seen = new Set<string>();
      let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      while (cert?.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        chain.push(new X509Certificate(cert.raw));
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      resolve(chain);
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error(`TLS handshake with ${host}:${port} timed out`), { code: "ETIMEDOUT" })));
    socket.on("error", reject);
  });
}

/**
 * Checks a presented chain against a pin and returns the pinned CA's PEM, or throws a
 * JoinError saying what does not hold.
 */
export function pinnedCa(chain: readonly X509Certificate[], pin: string, host: string): string {
  const wanted = pin.trim().toLowerCase();
  const ca = chain.find((c) => caCertHash(c.toString()) === wanted);
  if (!ca) throw new JoinError("CaMismatch", "the server's CA does not match --ca-cert-hash");
  if (!ca.ca) throw new JoinError("CaInvalid", `the certificate matching --ca-cert-hash (${ca.subject.replace(/\n/g, ", ")}) is not a CA certificate`);
  const leaf = chain[0];
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) throw new JoinError("CaInvalid", "the server's certificate was not signed by the CA matching --ca-cert-hash");
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const valid = isIP(bare) ? leaf.checkIP(bare) : leaf.checkHost(bare);
  if (!valid) throw new JoinError("CaInvalid", `the server's certificate is not valid for ${bare}`);
  return ca.toString();
}

/**
 * Dials the server, checks its chain against the pin, and returns the CA to trust (PEM).
 * @example const caPem = await discoverPinnedCa(new URL("https://10.0.0.2:8787"), "sha256:ab12...")
 */
export async function discoverPinnedCa(server: URL, pin: string, timeoutMs?: number): Promise<string> {
  const chain = await presentedChain(server, timeoutMs);
  if (!chain.length) throw new JoinError("CaMismatch", "the server's CA does not match --ca-cert-hash (it presented no certificate)");
  return pinnedCa(chain, pin, server.hostname);
}
