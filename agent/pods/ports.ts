/**
 * What the pod sync loop needs from the rest of the agent, as narrow interfaces: the container
 * runtime, the sandboxes, and the API. The real implementations live in agent/runtime,
 * agent/sandbox and agent/api; tests may pass fakes.
 */
import type { RunSpec } from "../runtime/ctr";
import type { SandboxInfo, SandboxSpec } from "../sandbox/sandbox-manager";

export interface RuntimePort {
  run(spec: RunSpec): Promise<void>;
  startTask(id: string, logPath: string): Promise<void>;
  kill(id: string, signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  deleteTask(id: string): Promise<{ exitCode?: number }>;
  deleteContainer(id: string): Promise<void>;
  listTasks(): Promise<Map<string, { pid: number; status: string }>>;
  hasImage(ref: string): Promise<boolean>;
  pullImage(ref: string): Promise<void>;
  imageConfig(ref: string): Promise<{ entrypoint: string[]; cmd: string[]; env: string[]; workingDir: string }>;
  listImages(): Promise<{ ref: string; digest: string; sizeBytes: number }[]>;
  exec(id: string, argv: string[], opts: { timeoutMs: number }): Promise<{ code: number; stdout: string; stderr: string }>;
}

export interface SandboxPort {
  ensure(spec: SandboxSpec): Promise<SandboxInfo>;
  remove(id: string): Promise<void>;
  list(): Promise<string[]>;
}

export interface PodApiPort {
  patchStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void>;
  /** Completes a graceful deletion once the pod's containers are gone. */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
  event(pod: Record<string, any>, type: "Normal" | "Warning", reason: string, message: string): void;
  configMap(namespace: string, name: string): Promise<any | undefined>;
  secret(namespace: string, name: string): Promise<any | undefined>;
}
