import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimNodes, type SimNodes } from "../sim/sim-nodes";
import { startFlotilla, type Started } from "./harness";
import { eventually, kubectlAsync } from "./rollout-helpers";

/** One row of `kubectl get svc -o wide --no-headers`. */
interface ServiceRow {
  name: string;
  type: string;
  clusterIP: string;
  externalIP: string;
  ports: string;
  selector: string;
}

function serviceRow(out: string): ServiceRow {
  const c = out.trim().split(/\s+/);
  return { name: c[0], type: c[1], clusterIP: c[2], externalIP: c[3], ports: c[4], selector: c[6] };
}

/** `kubectl get endpointslices --no-headers` rows as [name, addressType, ports, endpoints]. */
function sliceRows(out: string): string[][] {
  return out
    .split("\n")
    .filter((l) => l.trim())
    // Columns are padded with at least two spaces; the ENDPOINTS cell may hold single ones.
    .map((l) => l.trim().split(/\s{2,}/).slice(0, 4));
}

const countAddresses = (cell: string) => {
  const more = /\+ (\d+) more\.\.\./.exec(cell);
  return cell.split(" ")[0].split(",").filter(Boolean).length + (more ? Number(more[1]) : 0);
};

describe("Services with the real kubectl and simulated nodes", () => {
  let server: Started;
  let sim: SimNodes;
  let kubectl: ReturnType<typeof kubectlAsync>;
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const podIPs = async (app: string): Promise<string[]> => {
    const out = await ok(["get", "pods", "-l", `app=${app}`, "-o", "jsonpath={range .items[*]}{.status.podIP}{\"\\n\"}{end}"]);
    return out.split("\n").filter(Boolean).sort();
  };
  const slicesOf = async (svc: string) => sliceRows(await ok(["get", "endpointslices", "-l", `kubernetes.io/service-name=${svc}`, "--no-headers"]));

  beforeAll(async () => {
    server = await startFlotilla();
    kubectl = kubectlAsync(server.kubeconfig, mkdtempSync(join(tmpdir(), "flotilla-services-")));
    sim = await startSimNodes({ kubeconfig: server.kubeconfig, nodes: 3, readyDelayMs: 100 });
  });

  afterAll(async () => {
    await sim?.stop();
    await server?.stop();
  });

  let nodePort = 0;

  it("exposes a deployment as a NodePort service with an allocated IP and port", async () => {
    expect(await ok(["create", "deployment", "web", "--image=busybox:1.36", "--replicas=2", "--port=8080"])).toBe("deployment.apps/web created\n");
    expect(await ok(["expose", "deployment", "web", "--port", "80", "--target-port", "8080", "--type", "NodePort"])).toBe("service/web exposed\n");
    const row = serviceRow(await ok(["get", "svc", "web", "-o", "wide", "--no-headers"]));
    expect(row).toMatchObject({ name: "web", type: "NodePort", externalIP: "<none>", selector: "app=web" });
    expect(row.clusterIP).toMatch(/^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
    const m = /^80:(\d+)\/TCP$/.exec(row.ports);
    expect(m).not.toBeNull();
    nodePort = Number(m![1]);
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
    const header = (await ok(["get", "svc", "web", "-o", "wide"])).split("\n")[0];
    expect(header.split(/\s+/)).toEqual(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]);
  });

  it("lists the running pods in an EndpointSlice and the Endpoints", async () => {
    const ips = await eventually(() => podIPs("web"), (x) => x.length === 2);
    const slices = await eventually(() => slicesOf("web"), (rows) => rows.length === 1 && countAddresses(rows[0][3]) === 2);
    expect(slices[0][0]).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slices[0].slice(1, 3)).toEqual(["IPv4", "8080"]);
    expect(slices[0][3].split(",").sort()).toEqual(ips);
    const header = (await ok(["get", "endpointslices"])).split("\n")[0];
    expect(header.split(/\s+/)).toEqual(["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]);
    const ep = (await ok(["get", "endpoints", "web", "--no-headers"])).trim().split(/\s+/);
    expect(ep[0]).toBe("web");
    expect(ep[1].split(",").sort()).toEqual(ips.map((ip) => `${ip}:8080`));
  });

  it("describes the service with its IP, ports and endpoints", async () => {
    const ips = await podIPs("web");
    const clusterIP = serviceRow(await ok(["get", "svc", "web", "-o", "wide", "--no-headers"])).clusterIP;
    const out = await ok(["describe", "svc", "web"]);
    expect(out).toMatch(/^Type:\s+NodePort$/m);
    expect(out).toMatch(new RegExp(`^IP:\\s+${clusterIP.replace(/\./g, "\\.")}$`, "m"));
    expect(out).toMatch(/^Port:\s+<unset>\s+80\/TCP$/m);
    expect(out).toMatch(/^TargetPort:\s+8080\/TCP$/m);
    expect(out).toMatch(new RegExp(`^NodePort:\\s+<unset>\\s+${nodePort}/TCP$`, "m"));
    const endpoints = /^Endpoints:\s+(\S+)$/m.exec(out)?.[1] ?? "";
    expect(endpoints.split(",").sort()).toEqual(ips.map((ip) => `${ip}:8080`));
  });

  it("follows scaling up and down", async () => {
    await ok(["scale", "deployment", "web", "--replicas=4"]);
    const up = await eventually(() => slicesOf("web"), (rows) => rows.length === 1 && countAddresses(rows[0][3]) === 4);
    expect(up[0][3]).toMatch(/^(\d+\.){3}\d+,(\d+\.){3}\d+,(\d+\.){3}\d+ \+ 1 more\.\.\.$/);
    const ep = await eventually(
      async () => (await ok(["get", "endpoints", "web", "--no-headers"])).trim(),
      (line) => / \+ 1 more\.\.\./.test(line),
    );
    expect(ep).toMatch(/:8080 \+ 1 more\.\.\./);
    await ok(["scale", "deployment", "web", "--replicas=1"]);
    const down = await eventually(() => slicesOf("web"), (rows) => rows.length === 1 && countAddresses(rows[0][3]) === 1);
    expect(down[0][3]).toBe((await eventually(() => podIPs("web"), (x) => x.length === 1))[0]);
  });

  it("refuses a taken node port with upstream's message", async () => {
    const r = await kubectl(["create", "service", "nodeport", "dup", "--tcp=80:8080", `--node-port=${nodePort}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`failed to create NodePort service: Service "dup" is invalid: spec.ports[0].nodePort: Invalid value: ${nodePort}: provided port is already allocated`);
  });

  it("gives a LoadBalancer service the nodes' addresses as EXTERNAL-IP", async () => {
    expect(await ok(["create", "service", "loadbalancer", "lb", "--tcp=80:8080"])).toBe("service/lb created\n");
    const row = await eventually(
      async () => serviceRow(await ok(["get", "svc", "lb", "--no-headers"])),
      (r) => r.externalIP !== "<pending>",
    );
    expect(row.type).toBe("LoadBalancer");
    expect(row.externalIP).toBe("10.255.0.1,10.255.1.1,10.255.2.1");
    expect(row.ports).toMatch(/^80:\d+\/TCP$/);
  });

  it("removes the slices and frees the node port when the service is deleted", async () => {
    expect(await ok(["delete", "svc", "web"])).toBe('service "web" deleted\n');
    expect(await eventually(() => slicesOf("web"), (rows) => rows.length === 0)).toEqual([]);
    const ep = await eventually(() => kubectl(["get", "endpoints", "web"]), (r) => r.code !== 0);
    expect(ep.stderr).toContain('endpoints "web" not found');
    expect(await ok(["create", "service", "nodeport", "web2", "--tcp=80:8080", `--node-port=${nodePort}`])).toBe("service/web2 created\n");
    expect(serviceRow(await ok(["get", "svc", "web2", "-o", "wide", "--no-headers"])).ports).toBe(`80:${nodePort}/TCP`);
  });
});
