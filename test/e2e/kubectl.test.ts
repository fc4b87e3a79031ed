import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectlWith, startFlotilla, type Started } from "./harness";

let server: Started;
let kubectl: ReturnType<typeof kubectlWith>;
let work: string;

beforeAll(async () => {
  server = await startFlotilla();
  work = mkdtempSync(join(tmpdir(), "flotilla-kubectl-"));
  kubectl = kubectlWith(server.kubeconfig, work);
});

afterAll(async () => {
  await server?.stop();
});

function ok(args: string[], input?: string): string {
  const r = kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const DEPLOY_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  labels: {tier: frontend}
spec:
  replicas: 2
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: web
        image: busybox:1.36
        ports: [{containerPort: 8080}]
`;

describe("kubectl against npm start", () => {
  it("prints the kubeconfig export line and talks HTTPS with the written kubeconfig", () => {
    expect(server.output()).toContain(`export KUBECONFIG=${server.kubeconfig}`);
    const v = ok(["version"]);
    expect(v).toMatch(/Server Version: v1\.32\./);
  });

  it("lists the served resources", () => {
    const out = ok(["api-resources"]);
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    expect(out).toMatch(/^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
  });

  it("creates, gets and deletes a namespace (protobuf body)", () => {
    expect(ok(["create", "namespace", "shop"])).toBe("namespace/shop created\n");
    const dup = kubectl(["create", "namespace", "shop"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('Error from server (AlreadyExists): namespaces "shop" already exists');
    expect(ok(["get", "ns", "shop"])).toMatch(/^NAME\s+STATUS\s+AGE\nshop\s+Active\s+\d+s\n$/);
    ok(["create", "ns", "doomed"]);
    ok(["create", "configmap", "inside", "-n", "doomed", "--from-literal=k=v"]);
    expect(ok(["delete", "ns", "doomed", "--timeout=60s"])).toBe('namespace "doomed" deleted\n');
    const gone = kubectl(["get", "ns", "doomed"]);
    expect(gone.stderr).toContain('namespaces "doomed" not found');
  });

  it("creates a deployment and a configmap with protobuf bodies", () => {
    expect(ok(["create", "deployment", "web", "--image=nginx:1.27", "--replicas=3", "--port=80", "-n", "shop"])).toBe("deployment.apps/web created\n");
    expect(ok(["create", "configmap", "settings", "--from-literal=color=blue", "-n", "shop"])).toBe("configmap/settings created\n");
    const cm = JSON.parse(ok(["get", "configmap", "settings", "-n", "shop", "-o", "json"]));
    expect(cm.data).toEqual({ color: "blue" });
    const d = JSON.parse(ok(["get", "deploy", "web", "-n", "shop", "-o", "json"]));
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers[0]).toMatchObject({ name: "nginx", image: "nginx:1.27", ports: [{ containerPort: 80, protocol: "TCP" }] });
  });

  it("applies a file, then applies an edited file through the update path", () => {
    const file = join(work, "shop.yaml");
    writeFileSync(file, DEPLOY_YAML);
    expect(ok(["apply", "-f", file, "-n", "shop"])).toBe("deployment.apps/shop created\n");
    expect(ok(["apply", "-f", file, "-n", "shop"])).toBe("deployment.apps/shop unchanged\n");
    writeFileSync(file, DEPLOY_YAML.replace("replicas: 2", "replicas: 4").replace("busybox:1.36", "busybox:1.37"));
    expect(ok(["apply", "-f", file, "-n", "shop"])).toBe("deployment.apps/shop configured\n");
    const got = ok(["get", "deploy", "shop", "-n", "shop", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.metadata.generation}"]);
    expect(got).toBe("4 busybox:1.37 2");
    const annotation = ok(["get", "deploy", "shop", "-n", "shop", "-o", "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}"]);
    expect(JSON.parse(annotation).spec.replicas).toBe(4);
  });

  it("prints tables like a real cluster: wide, labels, all namespaces, selectors", () => {
    const wide = ok(["get", "deploy", "-n", "shop", "-o", "wide"]);
    expect(wide.split("\n")[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    // No nodes here: the controllers create pods, none becomes ready.
    expect(wide).toMatch(/^shop\s+0\/4\s+\d+\s+0\s+\d+s\s+web\s+busybox:1\.37\s+app=shop$/m);
    const labels = ok(["get", "deploy", "-n", "shop", "--show-labels"]);
    expect(labels).toMatch(/^shop\s+.*tier=frontend$/m);
    const all = ok(["get", "configmaps", "-A"]);
    expect(all.split("\n")[0]).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE$/);
    expect(all).toMatch(/^shop\s+settings\s+1\s+\d+s$/m);
    expect(ok(["get", "deploy", "-n", "shop", "-l", "tier=frontend", "-o", "name"])).toBe("deployment.apps/shop\n");
    const none = kubectl(["get", "deploy", "-n", "shop", "-l", "tier=backend"]);
    expect(none.stderr).toContain("No resources found in shop namespace.");
  });

  it("prints yaml and json", () => {
    const yaml = ok(["get", "cm", "settings", "-n", "shop", "-o", "yaml"]);
    expect(yaml).toMatch(/^apiVersion: v1\ndata:\n  color: blue\nkind: ConfigMap\n/);
    expect(yaml).toMatch(/resourceVersion: "\d+"/);
    const list = JSON.parse(ok(["get", "cm", "-n", "shop", "-o", "json"]));
    expect(list.kind).toBe("List");
    expect(list.items.map((i: any) => i.metadata.name)).toContain("settings");
  });

  it("labels and annotates", () => {
    expect(ok(["label", "cm", "settings", "-n", "shop", "team=blue"])).toBe("configmap/settings labeled\n");
    expect(ok(["annotate", "cm", "settings", "-n", "shop", "owner=ops"])).toBe("configmap/settings annotated\n");
    const got = JSON.parse(ok(["get", "cm", "settings", "-n", "shop", "-o", "json"]));
    expect(got.metadata.labels).toEqual({ team: "blue" });
    expect(got.metadata.annotations).toEqual({ owner: "ops" });
    expect(ok(["label", "cm", "settings", "-n", "shop", "team-"])).toBe("configmap/settings unlabeled\n");
  });

  it("describes a deployment", () => {
    const out = ok(["describe", "deploy", "shop", "-n", "shop"]);
    expect(out).toMatch(/^Name:\s+shop$/m);
    expect(out).toMatch(/^Namespace:\s+shop$/m);
    expect(out).toMatch(/^Replicas:\s+4 desired \| \d+ updated \| \d+ total \| 0 available \| \d+ unavailable$/m);
    expect(out).toMatch(/^NewReplicaSet:\s+shop-[a-z0-9]+ \(\d+\/\d+ replicas created\)$/m);
    expect(out).toMatch(/^StrategyType:\s+RollingUpdate$/m);
    expect(out).toMatch(/Image:\s+busybox:1\.37/);
  });

  it("watches: an event arrives", async () => {
    const child = spawn("kubectl", ["get", "cm", "-n", "shop", "--watch", "--output-watch-events"], { env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: work } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const waitFor = async (re: RegExp) => {
      const deadline = Date.now() + 20_000;
      while (!re.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return re.test(out);
    };
    expect(await waitFor(/settings/)).toBe(true);
    ok(["create", "cm", "watched", "-n", "shop", "--from-literal=x=y"]);
    expect(await waitFor(/ADDED\s+watched\s+1\s+/)).toBe(true);
    child.kill();
  });

  it("explains fields from the OpenAPI documents", () => {
    const out = ok(["explain", "deployment.spec.replicas"]);
    expect(out).toMatch(/KIND:\s+Deployment/);
    expect(out).toMatch(/FIELD:\s+replicas <integer>/);
  });

  it("switches the namespace of the current context", () => {
    expect(ok(["config", "set-context", "--current", "--namespace=shop"])).toBe('Context "flotilla" modified.\n');
    expect(ok(["get", "cm", "settings", "-o", "name"])).toBe("configmap/settings\n");
    ok(["config", "set-context", "--current", "--namespace=default"]);
  });

  it("deletes what a file describes", () => {
    const file = join(work, "shop.yaml");
    expect(ok(["delete", "-f", file, "-n", "shop"])).toBe('deployment.apps "shop" deleted\n');
    expect(kubectl(["get", "deploy", "shop", "-n", "shop"]).stderr).toContain('deployments.apps "shop" not found');
  });
});
