import { createHash, X509Certificate } from "node:crypto";

/**
 * The pin of a CA certificate in kubeadm's form: "sha256:" and the hex SHA-256 of the
 * certificate's DER-encoded SubjectPublicKeyInfo. A joining machine checks the server's CA
 * against it before it sends its bootstrap token anywhere.
 */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}
