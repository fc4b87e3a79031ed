import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { caCertHash } from "../../agent/join/ca-pin";
import { kubectlWith, startFlotilla, type KubectlResult, type Started } from "./harness";

const ROOT = resolve(__dirname, "../..");
const JOIN_LINE = /^npx flotilla join --server (https:\/\/127\.0\.0\.1:\d+) --token ([a-z0-9]{6})\.([a-z0-9]{16}) --ca-cert-hash (sha256:[0-9a-f]{64})\n$/;

let server: Started;
let work: string;
let admin: ReturnType<typeof kubectlWith>;
let caPem: string;

beforeAll(async () => {
  server = await startFlotilla();
  work = mkdtempSync(join(tmpdir(), "flotilla-token-cli-"));
  admin = kubectlWith(server.kubeconfig, join(work, "admin-home"));
  caPem = Buffer.from(parse(readFileSync(server.kubeconfig, "utf8")).clusters[0].cluster["certificate-authority-data"], "base64").toString("utf8");
});

afterAll(async () => {
  await server?.stop();
});

function flotilla(args: string[], env: Record<string, string> = {}): KubectlResult {
  const r = spawnSync("npx", ["flotilla", ...args], { cwd: ROOT, env: { ...process.env, KUBECONFIG: server.kubeconfig, ...env }, encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** kubectl as whoever `token` is, against the same server. */
function kubectlAs(name: string, token: string) {
  const cfg = parse(readFileSync(server.kubeconfig, "utf8"));
  cfg.users[0].user = { token };
  const path = join(work, `${name}.kubeconfig`);
  writeFileSync(path, stringify(cfg), { mode: 0o600 });
  return kubectlWith(path, join(work, `${name}-home`));
}

function secretData(id: string): Record<string, string> | undefined {
  const r = admin(["get", "secret", "-n", "kube-system", `bootstrap-token-${id}`, "-o", "json"]);
  if (r.code !== 0) return undefined;
  const s = JSON.parse(r.stdout);
  expect(s.type).toBe("bootstrap.kubernetes.io/token");
  return Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
}

function create(args: string[]): { id: string; token: string; line: RegExpExecArray; stderr: string } {
  const r = flotilla(["token", "create", ...args]);
  expect(r.code, r.stderr).toBe(0);
  const line = JOIN_LINE.exec(r.stdout);
  expect(line, r.stdout).not.toBeNull();
  return { id: line![2], token: `${line![2]}.${line![3]}`, line: line!, stderr: r.stderr };
}

describe("flotilla token", () => {
  it("creates a token, prints the join line, lists it, and deletes it", () => {
    const before = Date.now();
    const { id, token, line, stderr } = create(["--ttl", "1h", "--description", "for the rack"]);
    expect(line[1]).toBe(`https://127.0.0.1:${server.port}`);
    expect(line[4]).toBe(caCertHash(caPem));
    expect(stderr).toMatch(new RegExp(`^created bootstrap token ${id}, valid until \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z\n`));
    expect(stderr).toContain(`note: https://127.0.0.1:${server.port} only reaches this machine`);
    expect(stderr).not.toContain(token.split(".")[1]);

    const data = secretData(id)!;
    expect(data).toMatchObject({
      "token-id": id,
      "token-secret": token.split(".")[1],
      "usage-bootstrap-authentication": "true",
      "usage-bootstrap-signing": "true",
      "auth-extra-groups": "system:bootstrappers:flotilla:default-node-token",
      description: "for the rack",
    });
    const expires = Date.parse(data.expiration);
    expect(data.expiration).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000);

    const joiner = kubectlAs("joiner", token);
    const who = joiner(["auth", "whoami"]);
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toMatch(new RegExp(`Username\\s+system:bootstrap:${id}`));
    expect(who.stdout).toMatch(/Groups\s+\[system:bootstrappers system:bootstrappers:flotilla:default-node-token system:authenticated\]/);
    expect(joiner(["get", "secrets", "-n", "kube-system"]).stderr).toContain(`User "system:bootstrap:${id}" cannot list resource "secrets"`);

    const list = flotilla(["token", "list"]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS$/);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${id}\\s+(59m|1h)\\s+${data.expiration}\\s+authentication,signing\\s+for the rack\\s+system:bootstrappers:flotilla:default-node-token$`)));
    expect(list.stdout).not.toContain(token);

    const del = flotilla(["token", "delete", id]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toBe(`bootstrap token "${id}" deleted\n`);
    expect(secretData(id)).toBeUndefined();
    expect(flotilla(["token", "list"]).stdout).not.toContain(id);
    const after = joiner(["auth", "whoami"]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("You must be logged in to the server");

    const again = flotilla(["token", "delete", token]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`flotilla: bootstrap token "${id}" not found\n`);
  });

  it("defaults to a day, and --ttl 0 never expires", () => {
    const day = create([]);
    const expires = Date.parse(secretData(day.id)!.expiration);
    expect(Math.abs(expires - (Date.now() + 86400_000))).toBeLessThan(60_000);
    const forever = create(["--ttl", "0"]);
    expect(secretData(forever.id)!.expiration).toBeUndefined();
    const list = flotilla(["token", "list"]).stdout;
    expect(list).toMatch(new RegExp(`^${day.id}\\s+23h\\s`, "m"));
    expect(list).toMatch(new RegExp(`^${forever.id}\\s+<forever>\\s+<never>\\s+authentication,signing\\s+<none>\\s`, "m"));
    for (const t of [day, forever]) expect(flotilla(["token", "delete", t.id]).code).toBe(0);
  });

  it("lets a token lapse at its expiration", async () => {
    const brief = create(["--ttl", "1s"]);
    const joiner = kubectlAs("brief", brief.token);
    await new Promise((r) => setTimeout(r, 2500));
    const r = joiner(["auth", "whoami"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("You must be logged in to the server");
    expect(flotilla(["token", "list"]).stdout).toMatch(new RegExp(`^${brief.id}\\s+(<invalid>|0s)\\s`, "m"));
    flotilla(["token", "delete", brief.id]);
  });

  it("leaves the CA pin out for a server whose kubeconfig names no CA", () => {
    const cfg = parse(readFileSync(server.kubeconfig, "utf8"));
    delete cfg.clusters[0].cluster["certificate-authority-data"];
    const path = join(work, "public.kubeconfig");
    writeFileSync(path, stringify(cfg), { mode: 0o600 });
    const caFile = join(work, "ca.pem");
    writeFileSync(caFile, caPem);
    // The machine trusts the CA on its own, as it would a public one.
    const r = flotilla(["token", "create", "--kubeconfig", path], { NODE_EXTRA_CA_CERTS: caFile });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^npx flotilla join --server https:\/\/127\.0\.0\.1:\d+ --token [a-z0-9]{6}\.[a-z0-9]{16}\n$/);
    flotilla(["token", "delete", r.stdout.split("--token ")[1].split(".")[0]]);
  });

  it("explains bad input and exits non-zero", () => {
    const ttl = flotilla(["token", "create", "--ttl", "banana"]);
    expect(ttl.code).toBe(1);
    expect(ttl.stdout).toBe("");
    expect(ttl.stderr).toBe('flotilla: invalid duration "banana": use a number with a unit, like 90s, 30m, 1h or 7d\n');
    const id = flotilla(["token", "delete", "NOT-AN-ID"]);
    expect(id.code).toBe(1);
    expect(id.stderr).toContain('"NOT-AN-ID" is not a bootstrap token id');
    const missing = flotilla(["token", "list", "--kubeconfig", join(work, "nope")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`flotilla: no kubeconfig at ${join(work, "nope")}`);
  });
});
