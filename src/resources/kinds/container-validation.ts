/**
 * Per-container checks of a PodSpec: name, image, ports, pull and termination-message
 * policies, probes, env and volume mounts.
 */
import type { StatusCause } from "../../api/status";
import { isDNS1123Label, isValidPortName, isValidPortNum } from "../../lib/names";
import { duplicate, forbidden, invalid, notSupported, required } from "./field-errors";
import { validateResourceRequirements } from "./resources-validation";
import { isObj, obj, objs, str, type Obj } from "./shape";

/** Protocols a port may use, in the order the apiserver lists them. */
export const PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"];

/** Where the container is: regular containers need an image only in Pods, not in templates. */
export interface ContainerContext {
  /** False for pod templates: an image may be filled in later by other tooling. */
  readonly requireImage: boolean;
  /** Names of the pod's volumes, for volumeMounts lookups. */
  readonly volumes: ReadonlySet<string>;
}

function validatePorts(ports: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  const names = new Set<string>();
  objs(ports).forEach((p, i) => {
    const at = `${field}[${i}]`;
    const name = str(p.name);
    if (name) {
      out.push(...isValidPortName(name).map((m) => invalid(`${at}.name`, name, m)));
      if (names.has(name)) out.push(duplicate(`${at}.name`, name));
      names.add(name);
    }
    const cp = p.containerPort;
    if (cp === undefined || cp === 0) out.push(required(`${at}.containerPort`));
    else out.push(...isValidPortNum(Number(cp)).map((m) => invalid(`${at}.containerPort`, Number(cp), m)));
    if (p.hostPort !== undefined && p.hostPort !== 0) out.push(...isValidPortNum(Number(p.hostPort)).map((m) => invalid(`${at}.hostPort`, Number(p.hostPort), m)));
    const proto = str(p.protocol);
    if (!proto) out.push(required(`${at}.protocol`));
    else if (!PORT_PROTOCOLS.includes(proto)) out.push(notSupported(`${at}.protocol`, proto, PORT_PROTOCOLS));
  });
  return out;
}

const HANDLER_KEYS = ["exec", "httpGet", "tcpSocket", "grpc"];

function validateProbe(probe: unknown, field: string, mustSucceedOnce: boolean): StatusCause[] {
  if (!isObj(probe)) return [];
  const out: StatusCause[] = [];
  const handlers = HANDLER_KEYS.filter((k) => isObj(probe[k]));
  if (handlers.length === 0) out.push(required(field, "must specify a handler type"));
  else if (handlers.length > 1) out.push(forbidden(`${field}.${handlers[1]}`, "may not specify more than 1 handler type"));
  for (const k of ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"]) {
    const v = probe[k];
    if (typeof v === "number" && v < 0) out.push(invalid(`${field}.${k}`, v, "must be greater than or equal to 0"));
  }
  // Liveness and startup probes stop at the first success, so a higher threshold means nothing.
  if (mustSucceedOnce && typeof probe.successThreshold === "number" && probe.successThreshold !== 1) out.push(invalid(`${field}.successThreshold`, probe.successThreshold, "must be 1"));
  const http = obj(probe.httpGet);
  if (http) {
    const port = http.port;
    if (typeof port === "number") out.push(...isValidPortNum(port).map((m) => invalid(`${field}.httpGet.port`, port, m)));
    else if (typeof port === "string") out.push(...isValidPortName(port).map((m) => invalid(`${field}.httpGet.port`, port, m)));
    else out.push(required(`${field}.httpGet.port`));
    const scheme = str(http.scheme);
    if (scheme && scheme !== "HTTP" && scheme !== "HTTPS") out.push(notSupported(`${field}.httpGet.scheme`, scheme, ["HTTP", "HTTPS"]));
  }
  return out;
}

/** Checks one container at `field` (e.g. "spec.containers[0]"). */
export function validateContainer(c: Obj, field: string, ctx: ContainerContext, isInit: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const name = str(c.name);
  if (!name) out.push(required(`${field}.name`));
  else out.push(...isDNS1123Label(name).map((m) => invalid(`${field}.name`, name, m)));

  const image = str(c.image);
  if (!image && ctx.requireImage) out.push(required(`${field}.image`));
  else if (image && image.trim() !== image) out.push(invalid(`${field}.image`, image, "must not have leading or trailing whitespace"));

  out.push(...validatePorts(c.ports, `${field}.ports`));

  const pull = str(c.imagePullPolicy);
  const pullPolicies = ["Always", "IfNotPresent", "Never"];
  if (!pull) out.push(required(`${field}.imagePullPolicy`));
  else if (!pullPolicies.includes(pull)) out.push(notSupported(`${field}.imagePullPolicy`, pull, pullPolicies));

  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) out.push(required(`${field}.terminationMessagePolicy`));
  else if (tmp !== "File" && tmp !== "FallbackToLogsOnError") out.push(notSupported(`${field}.terminationMessagePolicy`, tmp, ["File", "FallbackToLogsOnError"]));

  if (!isInit) {
    out.push(...validateProbe(c.livenessProbe, `${field}.livenessProbe`, true));
    out.push(...validateProbe(c.readinessProbe, `${field}.readinessProbe`, false));
    out.push(...validateProbe(c.startupProbe, `${field}.startupProbe`, true));
  }
  out.push(...validateResourceRequirements(c.resources, `${field}.resources`));

  objs(c.env).forEach((e, i) => {
    if (!str(e.name)) out.push(required(`${field}.env[${i}].name`));
  });
  const mountPaths = new Set<string>();
  objs(c.volumeMounts).forEach((m, i) => {
    const at = `${field}.volumeMounts[${i}]`;
    const vol = str(m.name);
    if (!vol) out.push(required(`${at}.name`));
    else if (!ctx.volumes.has(vol)) out.push({ reason: "FieldValueNotFound", message: `Not found: ${JSON.stringify(vol)}`, field: `${at}.name` });
    const path = str(m.mountPath);
    if (!path) out.push(required(`${at}.mountPath`));
    else if (mountPaths.has(path)) out.push(invalid(`${at}.mountPath`, path, "must be unique"));
    mountPaths.add(path);
  });
  return out;
}
