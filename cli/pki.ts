import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";

export interface Pki {
  caCertPath: string;
  certPath: string;
  keyPath: string;
  caPem: string;
}

/** Every address a node might use to reach this machine, besides loopback. */
export function nodeFacingAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) out.push(a.address);
  }
  return out;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** The PEM certificates in a file's text, in order. */
function pemBlocks(text: string): string[] {
  return text.match(PEM_BLOCK) ?? [];
}

/**
 * Whether the served file is the leaf followed by exactly this CA. A joining node pins the CA
 * (--ca-cert-hash) and can only find it if the server presents it in its chain.
 */
function servesChain(certText: string, caPem: string): boolean {
  const blocks = pemBlocks(certText);
  const ca = pemBlocks(caPem)[0];
  return blocks.length === 2 && blocks[1] === ca;
}

/** Whether the leaf in the served file was signed by this CA (a remade CA orphans the old leaf). */
function signedBy(certText: string, caPem: string): boolean {
  const leaf = pemBlocks(certText)[0];
  if (!leaf) return false;
  try {
    return new X509Certificate(leaf).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}

/**
 * A local CA and a serving certificate signed by it, made with openssl on first start. The
 * serving certificate is remade when the machine's addresses change, so its SANs stay true.
 * The served file holds the leaf and then the CA, so the whole chain goes out in the handshake.
 */
export function ensurePki(dir: string, extraSans: string[] = []): Pki {
  const pki = join(dir, "pki");
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const caKey = join(pki, "ca.key");
  const caCert = join(pki, "ca.crt");
  const key = join(pki, "apiserver.key");
  const cert = join(pki, "apiserver.crt");
  const sansFile = join(pki, "apiserver.sans");
  if (!existsSync(caCert) || !existsSync(caKey)) {
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", caKey, "-out", caCert, "-days", "3650", "-subj", "/CN=flotilla-ca"]);
  }
  const ips = ["127.0.0.1", "10.96.0.1", ...nodeFacingAddresses(), ...extraSans.filter((s) => /^[\d.]+$/.test(s))];
  const dns = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", ...extraSans.filter((s) => !/^[\d.]+$/.test(s))];
  const sans = [...new Set(dns)].map((d) => `DNS:${d}`).concat([...new Set(ips)].map((i) => `IP:${i}`)).join(",");
  const caPem = readFileSync(caCert, "utf8");
  const stale = !existsSync(cert) || !existsSync(sansFile) || readFileSync(sansFile, "utf8") !== sans || !signedBy(readFileSync(cert, "utf8"), caPem);
  if (stale) {
    const csr = join(pki, "apiserver.csr");
    const ext = join(pki, "apiserver.ext");
    writeFileSync(ext, `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=flotilla-apiserver"]);
    openssl(["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "825", "-extfile", ext]);
    writeFileSync(sansFile, sans);
  }
  // Also brings a folder made before the chain was served up to date.
  const served = readFileSync(cert, "utf8");
  if (!servesChain(served, caPem)) writeFileSync(cert, `${pemBlocks(served)[0]}\n${pemBlocks(caPem)[0]}\n`);
  return { caCertPath: caCert, certPath: cert, keyPath: key, caPem };
}
