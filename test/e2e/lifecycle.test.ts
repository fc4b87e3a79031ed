import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { freePort, kubectlWith, startFlotilla, type Started } from "./harness";

/** `npm start` keeps its state in its folder across restarts and leaves nothing behind when stopped. */

const dir = mkdtempSync(join(tmpdir(), "flotilla-lifecycle-"));
const home = mkdtempSync(join(tmpdir(), "flotilla-lifecycle-home-"));
let port: number;
let server: Started | undefined;
let keptUid: string;

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

function kubectl(kubeconfig: string, args: string[]): string {
  const r = kubectlWith(kubeconfig, home)(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
function listening(p: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: "127.0.0.1", port: p });
    s.setTimeout(2000);
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("timeout", () => {
      s.destroy();
      res(false);
    });
    s.once("error", () => res(false));
  });
}

function readProc(pid: string, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8").replaceAll("\0", " ");
  } catch {
    return ""; // gone, or not ours to read
  }
}

/** Live processes that belong to a server run: in its process group, or a workerd naming its port or state folder. */
function leftovers(group: number): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    const stat = readProc(pid, "stat");
    if (!stat) continue;
    // Fields after the parenthesised command: state ppid pgrp ...
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (state === "Z") continue;
    const cmdline = readProc(pid, "cmdline");
    const environ = readProc(pid, "environ");
    const ours = Number(pgrp) === group || (cmdline.includes("workerd") && (cmdline.includes(`:${port} `) || cmdline.includes(dir) || environ.includes(`FLOTILLA_DIR=${dir} `)));
    if (ours) out.push(`${pid}: ${cmdline}`);
  }
  return out;
}

async function stopCleanly(s: Started): Promise<void> {
  const group = s.proc.pid!;
  expect(await s.stop()).toBe(0);
  expect(await listening(s.port)).toBe(false);
  const deadline = Date.now() + 5000;
  let left = leftovers(group);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = leftovers(group);
  }
  expect(left).toEqual([]);
}

describe("npm start across a restart", () => {
  it("creates the CA and a private kubeconfig on first start", async () => {
    port = await freePort();
    server = await startFlotilla(dir, port);
    expect(statSync(join(dir, "pki", "ca.crt")).isFile()).toBe(true);
    expect(readFileSync(join(dir, "pki", "ca.crt"), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(statSync(server.kubeconfig).mode & 0o777).toBe(0o600);
    const cfg = parse(readFileSync(server.kubeconfig, "utf8"));
    expect(cfg.clusters[0].cluster.server).toBe(`https://127.0.0.1:${port}`);
    expect(Buffer.from(cfg.clusters[0].cluster["certificate-authority-data"], "base64").toString()).toBe(readFileSync(join(dir, "pki", "ca.crt"), "utf8"));
    expect(await listening(port)).toBe(true);
  });

  it("stores objects made with kubectl", () => {
    const kc = server!.kubeconfig;
    expect(kubectl(kc, ["create", "namespace", "durable"])).toBe("namespace/durable created\n");
    expect(kubectl(kc, ["create", "configmap", "kept", "-n", "durable", "--from-literal=colour=teal"])).toBe("configmap/kept created\n");
    keptUid = kubectl(kc, ["get", "configmap", "kept", "-n", "durable", "-o", "jsonpath={.metadata.uid}"]);
    expect(keptUid).toMatch(/^[0-9a-f-]{36}$/);
    // A namespace chosen by the user must survive the kubeconfig being rewritten.
    kubectl(kc, ["config", "set-context", "--current", "--namespace=durable"]);
  });

  it("stops on SIGTERM with exit code 0, frees the port and leaves no process behind", async () => {
    const s = server!;
    server = undefined;
    await stopCleanly(s);
  });

  it("starts again on the same folder and port with the objects still there", async () => {
    const before = parse(readFileSync(join(dir, "kubeconfig"), "utf8"));
    const token = before.users[0].user.token;
    // Point the kubeconfig somewhere stale: the restart must write the current URL back.
    before.clusters[0].cluster.server = "https://127.0.0.1:1";
    writeFileSync(join(dir, "kubeconfig"), stringify(before), { mode: 0o600 });

    server = await startFlotilla(dir, port);
    const after = parse(readFileSync(server.kubeconfig, "utf8"));
    expect(after.clusters[0].cluster.server).toBe(`https://127.0.0.1:${port}`);
    expect(after.users[0].user.token).toBe(token);
    expect(after.contexts[0].context.namespace).toBe("durable");
    expect(statSync(server.kubeconfig).mode & 0o777).toBe(0o600);

    expect(kubectl(server.kubeconfig, ["get", "ns", "durable", "-o", "jsonpath={.status.phase}"])).toBe("Active");
    const cm = JSON.parse(kubectl(server.kubeconfig, ["get", "configmap", "kept", "-o", "json"]));
    expect(cm.metadata.namespace).toBe("durable");
    expect(cm.data).toEqual({ colour: "teal" });
    expect(cm.metadata.uid).toBe(keptUid);
    expect(kubectl(server.kubeconfig, ["get", "configmaps", "-n", "durable", "-o", "name"]).split("\n")).toContain("configmap/kept");

    // Writes keep working after the restart, with revisions moving forward.
    const created = JSON.parse(kubectl(server.kubeconfig, ["create", "configmap", "later", "--from-literal=a=b", "-o", "json"]));
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(Number(cm.metadata.resourceVersion));
  });

  it("stops cleanly a second time", async () => {
    const s = server!;
    server = undefined;
    await stopCleanly(s);
  });
});
