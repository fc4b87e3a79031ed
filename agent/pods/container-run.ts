import { parseQuantity } from "../../src/lib/quantity";
import { logPathFor } from "../logs/read";
import type { RunSpec } from "../runtime/ctr";
import type { SandboxInfo } from "../sandbox/sandbox-manager";
import { expandCommand } from "./env";
import { LABEL_CONTAINER, LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from "./labels";
import type { Container, Pod } from "./pod-spec";

export interface RunInputs {
  pod: Pod;
  container: Container;
  containerId: string;
  image: string;
  imageEntrypoint: string[];
  env: string[];
  mounts: { source: string; destination: string; readOnly: boolean }[];
  sandbox: SandboxInfo;
  nodeName: string;
  dataDir: string;
  restartCount: number;
}

/**
 * The process to run, by Kubernetes' rules: `command` replaces the image's entrypoint, `args`
 * replace its cmd, and with neither the image's own entrypoint and cmd run (undefined here).
 */
export function containerArgv(container: Container, entrypoint: string[], env: string[]): string[] | undefined {
  const command: string[] | undefined = container.command?.length ? container.command : undefined;
  const args: string[] | undefined = container.args?.length ? container.args : undefined;
  if (!command && !args) return undefined;
  const head = command ? expandCommand(command, env) : entrypoint;
  return [...head, ...(args ? expandCommand(args, env) : [])];
}

function limitNumber(container: Container, resource: "cpu" | "memory"): number | undefined {
  const q = container.resources?.limits?.[resource];
  if (q === undefined) return undefined;
  const parsed = parseQuantity(q);
  if (!parsed || parsed.milli <= 0) return undefined;
  return resource === "cpu" ? parsed.milli / 1000 : Math.ceil(parsed.milli / 1000);
}

export function buildRunSpec(x: RunInputs): RunSpec {
  const { pod, container } = x;
  const hostname = pod.spec?.hostname || pod.metadata?.name;
  return {
    id: x.containerId,
    image: x.image,
    argv: containerArgv(container, x.imageEntrypoint, x.env),
    env: [`HOSTNAME=${hostname}`, ...x.env],
    cwd: container.workingDir || undefined,
    labels: {
      [LABEL_POD_UID]: pod.metadata.uid,
      [LABEL_POD_NAME]: pod.metadata.name,
      [LABEL_POD_NAMESPACE]: pod.metadata.namespace,
      [LABEL_CONTAINER]: container.name,
      [LABEL_NODE]: x.nodeName,
    },
    mounts: [
      { source: x.sandbox.hostsPath, destination: "/etc/hosts", readOnly: true },
      { source: x.sandbox.resolvPath, destination: "/etc/resolv.conf", readOnly: true },
      ...x.mounts,
    ],
    namespaces: [
      { type: "network", path: x.sandbox.netnsPath },
      { type: "uts", path: x.sandbox.utsPath },
    ],
    memoryLimitBytes: limitNumber(container, "memory"),
    cpus: limitNumber(container, "cpu"),
    logPath: logPathFor(x.dataDir, pod.metadata.uid, container.name, x.restartCount),
  };
}
