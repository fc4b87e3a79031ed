/**
 * Defaults the apiserver fills into a PodSpec, for Pods and for the pod templates of workloads,
 * so that `get -o yaml` shows what a real cluster shows right after create.
 */
import { canonicalQuantity, isQuantity } from "../../lib/quantity";
import { ensureObj, isObj, obj, objs, setDefault, type Obj } from "./shape";

/** `:latest` or an untagged image is re-pulled every time; anything else only when missing. */
export function defaultPullPolicy(image: string): string {
  // An empty image is reported by validation; its policy only has to be well formed.
  if (!image || image.includes("@")) return "IfNotPresent";
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  const tag = colon === -1 ? "" : lastSegment.slice(colon + 1);
  return tag === "" || tag === "latest" ? "Always" : "IfNotPresent";
}

function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  setDefault(p, "timeoutSeconds", 1);
  setDefault(p, "periodSeconds", 10);
  setDefault(p, "successThreshold", 1);
  setDefault(p, "failureThreshold", 3);
  defaultHandler(p);
}

function defaultHandler(h: Obj): void {
  const http = obj(h.httpGet);
  if (http) {
    setDefault(http, "path", "/");
    setDefault(http, "scheme", "HTTP");
  }
}

function canonicalizeQuantities(m: unknown): void {
  if (!isObj(m)) return;
  for (const [k, v] of Object.entries(m)) if (typeof v === "string" || typeof v === "number") m[k] = canonicalQuantity(v);
}

function defaultResources(c: Obj): void {
  const res = ensureObj(c, "resources");
  canonicalizeQuantities(res.limits);
  canonicalizeQuantities(res.requests);
}

/**
 * A limit with no request means "request exactly the limit", so scheduling sees the real need.
 * Pods only: templates keep what the user wrote, as upstream does.
 */
export function defaultRequestsFromLimits(c: Obj): void {
  const res = ensureObj(c, "resources");
  const limits = obj(res.limits);
  if (!limits || Object.keys(limits).length === 0) return;
  const requests = ensureObj(res, "requests");
  // A malformed limit is reported once, on the limit, rather than copied into a second error.
  for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined && isQuantity(v)) requests[k] = v;
}

function defaultEnv(c: Obj): void {
  for (const e of objs(c.env)) {
    const fieldRef = obj(obj(e.valueFrom)?.fieldRef);
    if (fieldRef) setDefault(fieldRef, "apiVersion", "v1");
  }
}

function defaultLifecycle(c: Obj): void {
  const lc = obj(c.lifecycle);
  if (!lc) return;
  for (const hook of [obj(lc.postStart), obj(lc.preStop)]) if (hook) defaultHandler(hook);
}

/** Defaults of one container (regular, init or ephemeral). */
export function defaultContainer(c: Obj): void {
  setDefault(c, "imagePullPolicy", defaultPullPolicy(typeof c.image === "string" ? c.image : ""));
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  for (const p of objs(c.ports)) setDefault(p, "protocol", "TCP");
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultResources(c);
  defaultEnv(c);
  defaultLifecycle(c);
}

const MODE_0644 = 420;

function defaultVolume(v: Obj): void {
  const sources = ["hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs", "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral", "image"];
  // A volume with no source is an emptyDir, the way the API has always read it.
  if (!sources.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  for (const key of ["secret", "configMap", "downwardAPI", "projected"]) {
    const src = obj(v[key]);
    if (src) setDefault(src, "defaultMode", MODE_0644);
  }
  const hostPath = obj(v.hostPath);
  if (hostPath) setDefault(hostPath, "type", "");
  for (const item of objs(obj(v.downwardAPI)?.items)) {
    const fieldRef = obj(item.fieldRef);
    if (fieldRef) setDefault(fieldRef, "apiVersion", "v1");
  }
}

/** Fills a PodSpec's defaults in place (also its containers and volumes). */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "securityContext", {});
  setDefault(spec, "schedulerName", "default-scheduler");
  for (const c of objs(spec.initContainers)) defaultContainer(c);
  for (const c of objs(spec.containers)) defaultContainer(c);
  for (const c of objs(spec.ephemeralContainers)) defaultContainer(c);
  for (const v of objs(spec.volumes)) defaultVolume(v);
}

/**
 * Defaults of a pod template (Deployments, ReplicaSets). The 1.32 apiserver serialises the
 * template's zero creationTimestamp as null, which is what clients see and diff against.
 */
export function defaultPodTemplate(template: Obj): void {
  const meta = ensureObj(template, "metadata");
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
  defaultPodSpec(ensureObj(template, "spec"));
}
