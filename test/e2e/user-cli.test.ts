import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { kubectlWith, startFlotilla, type KubectlResult, type Started } from "./harness";

const ROOT = resolve(__dirname, "../..");

let server: Started;
let work: string;
let admin: ReturnType<typeof kubectlWith>;

beforeAll(async () => {
  server = await startFlotilla();
  work = mkdtempSync(join(tmpdir(), "flotilla-user-cli-"));
  admin = kubectlWith(server.kubeconfig, join(work, "admin-home"));
});

afterAll(async () => {
  await server?.stop();
});

/** Runs `npx flotilla ...` in the project, with the server's admin kubeconfig in $KUBECONFIG. */
function flotilla(args: string[]): KubectlResult {
  const r = spawnSync("npx", ["flotilla", ...args], { cwd: ROOT, env: { ...process.env, KUBECONFIG: server.kubeconfig }, encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function ok(run: (args: string[]) => KubectlResult, args: string[]): string {
  const r = run(args);
  if (r.code !== 0) throw new Error(`${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** A kubeconfig like the admin's, with another bearer token. */
function kubeconfigWithToken(name: string, token: string): string {
  const cfg = parse(readFileSync(server.kubeconfig, "utf8"));
  cfg.users[0].user = { token };
  const path = join(work, `${name}.kubeconfig`);
  writeFileSync(path, stringify(cfg), { mode: 0o600 });
  return path;
}

describe("flotilla user create / revoke", () => {
  it("issues a working kubeconfig, which RBAC governs and revocation ends", () => {
    const created = flotilla(["user", "create", "alice", "--group", "devs", "--ttl", "1h"]);
    expect(created.code, created.stderr).toBe(0);
    const cfg = parse(created.stdout);
    const adminCfg = parse(readFileSync(server.kubeconfig, "utf8"));
    expect(cfg.clusters[0].cluster).toEqual(adminCfg.clusters[0].cluster);
    const token: string = cfg.users[0].user.token;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).not.toContain(token);
    const path = join(work, "alice.kubeconfig");
    writeFileSync(path, created.stdout, { mode: 0o600 });
    const alice = kubectlWith(path, join(work, "alice-home"));

    const who = ok(alice, ["auth", "whoami"]);
    expect(who).toMatch(/Username\s+alice/);
    expect(who).toMatch(/Groups\s+\[devs system:authenticated\]/);

    const denied = alice(["get", "pods"]);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Error from server (Forbidden): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"');

    expect(ok(admin, ["create", "rolebinding", "alice-view", "--clusterrole=view", "--user=alice", "--namespace=default"])).toBe("rolebinding.rbac.authorization.k8s.io/alice-view created\n");
    const allowed = alice(["get", "pods"]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain("No resources found in default namespace.");
    const canCreate = alice(["auth", "can-i", "create", "pods"]);
    expect(canCreate.stdout.trim()).toBe("no");
    expect(canCreate.code).toBe(1);
    expect(ok(alice, ["auth", "can-i", "watch", "pods"]).trim()).toBe("yes");
    expect(ok(alice, ["auth", "can-i", "--list"])).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);

    const revoked = flotilla(["user", "revoke", "alice"]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('revoked 1 token of user "alice"\n');
    const after = alice(["get", "pods"]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("error: You must be logged in to the server");
    expect(after.stderr).toMatch(/Unauthorized|the server has asked for the client to provide credentials/);

    const again = flotilla(["user", "revoke", "alice"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('flotilla: user "alice" has no tokens to revoke\n');
    expect(server.output()).not.toContain(token);
  });

  it("lets a token lapse after its --ttl", async () => {
    const created = flotilla(["user", "create", "brief", "--ttl", "1s"]);
    expect(created.code, created.stderr).toBe(0);
    const path = join(work, "brief.kubeconfig");
    writeFileSync(path, created.stdout, { mode: 0o600 });
    await new Promise((r) => setTimeout(r, 2500));
    const r = kubectlWith(path, join(work, "brief-home"))(["auth", "whoami"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("You must be logged in to the server");
  });

  it("explains mistakes without printing a token", () => {
    const missing = flotilla(["user", "create", "bob", "--kubeconfig", join(work, "nope")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`flotilla: no kubeconfig at ${join(work, "nope")}`);
    const badTtl = flotilla(["user", "create", "bob", "--ttl", "soon"]);
    expect(badTtl.code).toBe(1);
    expect(badTtl.stderr).toContain('invalid duration "soon"');
    const secret = "not-the-admin-token-0123456789";
    const refused = flotilla(["user", "create", "bob", "--kubeconfig", kubeconfigWithToken("wrong", secret)]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("(401 Unauthorized)");
    expect(refused.stdout + refused.stderr).not.toContain(secret);
  });
});

describe("kubectl create token", () => {
  it("issues a service-account token that RBAC then governs", async () => {
    for (let i = 0; i < 50 && admin(["get", "serviceaccount", "default"]).code !== 0; i++) await new Promise((r) => setTimeout(r, 200));
    const token = ok(admin, ["create", "token", "default"]).trim();
    expect(token.split(".")).toHaveLength(3);
    const sa = kubectlWith(kubeconfigWithToken("sa", token), join(work, "sa-home"));
    expect(ok(sa, ["auth", "whoami"])).toMatch(/Username\s+system:serviceaccount:default:default/);
    const denied = sa(["get", "configmaps"]);
    expect(denied.stderr).toContain('Error from server (Forbidden): configmaps is forbidden: User "system:serviceaccount:default:default" cannot list resource "configmaps" in API group "" in the namespace "default"');
    ok(admin, ["create", "rolebinding", "sa-view", "--clusterrole=view", "--serviceaccount=default:default"]);
    expect(sa(["get", "configmaps"]).code).toBe(0);
    expect(sa(["get", "secrets"]).stderr).toContain('secrets is forbidden: User "system:serviceaccount:default:default" cannot list resource "secrets"');
    expect(sa(["auth", "can-i", "get", "secrets"]).stdout.trim()).toBe("no");
    expect(server.output()).not.toContain(token);
  });
});
