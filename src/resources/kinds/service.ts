/**
 * Services: type, affinity, port and traffic-policy defaults, and port / type / IP rules.
 * ClusterIP and nodePort allocation happen in the store (it alone knows what is taken); here
 * only what the user sent is judged.
 */
import type { StatusCause } from "../../api/status";
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum, maskTrailingDash } from "../../lib/names";
import { duplicate, forbidden, goQuote, goStringSlice, GoValue, immutable, invalid, notSupported, required } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { PORT_PROTOCOLS } from "./container-validation";
import { validateLabels } from "./labels";
import type { NameRule } from "./metadata";
import { arr, ensureObj, obj, objs, setDefault, str, type Obj } from "./shape";

/** Service types, in the order the apiserver lists them. */
export const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
/** The node port range of a default apiserver (--service-node-port-range). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

/** Service names become DNS labels and env var prefixes, so they must start with a letter. */
export const serviceName: NameRule = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** A headless service (`clusterIP: None`) gets no virtual IP: DNS answers with the pods' addresses. */
export function isHeadless(spec: Obj): boolean {
  return spec.clusterIP === "None";
}

function typeOf(svc: Obj): string {
  return str(obj(svc.spec)?.type) || "ClusterIP";
}

/** Every type but ExternalName has a cluster IP (or is headless). */
export function needsClusterIP(svc: Obj): boolean {
  return typeOf(svc) !== "ExternalName";
}

/** NodePort and LoadBalancer services open a port on every node for each service port. */
export function needsNodePorts(svc: Obj): boolean {
  const type = typeOf(svc);
  return type === "NodePort" || type === "LoadBalancer";
}

/** A LoadBalancer that keeps client addresses (Local) gets a node port for its health check. */
export function needsHealthCheckNodePort(svc: Obj): boolean {
  const spec = obj(svc.spec) ?? {};
  return typeOf(svc) === "LoadBalancer" && spec.externalTrafficPolicy === "Local";
}

/** The non-zero node ports of a service's ports. */
export function nodePortsOf(svc: Obj): number[] {
  return objs(obj(svc.spec)?.ports)
    .map((p) => (typeof p.nodePort === "number" ? p.nodePort : 0))
    .filter((n) => n !== 0);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Upstream's PrepareForUpdate step: when a type change makes a field meaningless and the update
 * left the field as it was, the field is wiped (so that `kubectl patch -p '{"spec":{"type":
 * "ClusterIP"}}'` on a NodePort service works and releases its node ports). A LoadBalancer
 * status no longer applies to other types either.
 */
export function dropTypeDependentFields(next: Obj, old: Obj): void {
  const spec = ensureObj(next, "spec");
  const oldSpec = obj(old.spec) ?? {};
  if (needsClusterIP(old) && !needsClusterIP(next)) {
    if (str(spec.clusterIP) === str(oldSpec.clusterIP) && sameJson(spec.clusterIPs, oldSpec.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (sameJson(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if (sameJson(spec.ipFamilyPolicy, oldSpec.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  if (needsNodePorts(old) && !needsNodePorts(next)) {
    const had = new Set(nodePortsOf(old));
    if (nodePortsOf(next).every((n) => had.has(n))) for (const p of objs(spec.ports)) delete p.nodePort;
  }
  if (needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(next) && spec.healthCheckNodePort === oldSpec.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (typeOf(old) === "LoadBalancer" && typeOf(next) !== "LoadBalancer") {
    if (spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (spec.loadBalancerClass === oldSpec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (needsNodePorts(old) && !needsNodePorts(next) && spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  const status = obj(next.status);
  if (status && typeOf(next) !== "LoadBalancer" && status.loadBalancer !== undefined) status.loadBalancer = {};
}

/** Fills a Service's defaults in place. */
export function defaultService(svc: Obj): void {
  const spec = ensureObj(svc, "spec");
  setDefault(spec, "type", "ClusterIP");
  setDefault(spec, "sessionAffinity", "None");
  if (spec.sessionAffinity === "ClientIP") setDefault(ensureObj(ensureObj(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds", 10800);
  for (const p of objs(spec.ports)) {
    setDefault(p, "protocol", "TCP");
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === "") p.targetPort = p.port;
  }
  const type = spec.type;
  if (type === "NodePort" || type === "LoadBalancer") setDefault(spec, "externalTrafficPolicy", "Cluster");
  if (type === "LoadBalancer") setDefault(spec, "allocateLoadBalancerNodePorts", true);
  if (type !== "ExternalName") {
    // clusterIP and clusterIPs[0] are one value; either may be given (v1's conversion rule).
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : [];
    if (str(spec.clusterIP) && ips.length === 0) spec.clusterIPs = [spec.clusterIP];
    else if (!str(spec.clusterIP) && typeof ips[0] === "string" && ips[0]) spec.clusterIP = ips[0];
    setDefault(spec, "internalTrafficPolicy", "Cluster");
    // A selectorless headless service may front endpoints of any family; otherwise one family.
    const selectorless = Object.keys(obj(spec.selector) ?? {}).length === 0;
    setDefault(spec, "ipFamilyPolicy", isHeadless(spec) && selectorless ? "RequireDualStack" : "SingleStack");
    if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) spec.ipFamilies = ["IPv4"];
  }
}

function goServicePortKey(protocol: string, port: unknown): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${Number(port) || 0}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function isIP(s: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255 && (o === "0" || !o.startsWith("0")));
  return s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s) && (s.match(/::/g) ?? []).length <= 1;
}

function validatePorts(spec: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  const ports = objs(spec.ports);
  const names = new Set<string>();
  const keys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    const name = str(p.name);
    if (ports.length > 1 && !name) out.push(required(`${at}.name`));
    if (name) {
      out.push(...isDNS1123Label(name).map((m) => invalid(`${at}.name`, name, m)));
      if (names.has(name)) out.push(duplicate(`${at}.name`, name));
      names.add(name);
    }
    const port = Number(p.port ?? 0);
    out.push(...isValidPortNum(port).map((m) => invalid(`${at}.port`, port, m)));
    const proto = str(p.protocol);
    if (!proto) out.push(required(`${at}.protocol`));
    else if (!PORT_PROTOCOLS.includes(proto)) out.push(notSupported(`${at}.protocol`, proto, PORT_PROTOCOLS));
    const tp = p.targetPort;
    if (typeof tp === "number") out.push(...isValidPortNum(tp).map((m) => invalid(`${at}.targetPort`, tp, m)));
    else if (typeof tp === "string") out.push(...isValidPortName(tp).map((m) => invalid(`${at}.targetPort`, tp, m)));
    const nodePort = typeof p.nodePort === "number" ? p.nodePort : 0;
    if (nodePort !== 0) {
      if (spec.type === "ClusterIP") out.push(forbidden(`${at}.nodePort`, "may not be used when `type` is 'ClusterIP'"));
      else if (nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max)
        out.push(invalid(`${at}.nodePort`, nodePort, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`));
      const npKey = `${proto}/${nodePort}`;
      if (nodePorts.has(npKey)) out.push(duplicate(`${at}.nodePort`, nodePort));
      nodePorts.add(npKey);
    }
    const key = `${proto}/${port}`;
    if (keys.has(key)) out.push(duplicate(at, goServicePortKey(proto, port)));
    keys.add(key);
  });
  return out;
}

function validateTrafficPolicies(spec: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  const etp = str(spec.externalTrafficPolicy);
  const external = spec.type === "NodePort" || spec.type === "LoadBalancer";
  if (etp && !external) out.push(invalid("spec.externalTrafficPolicy", etp, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
  else if (external && !etp) out.push(required("spec.externalTrafficPolicy"));
  else if (etp && etp !== "Cluster" && etp !== "Local") out.push(notSupported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]));
  const itp = str(spec.internalTrafficPolicy);
  if (itp && itp !== "Cluster" && itp !== "Local") out.push(notSupported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]));
  const fam = str(spec.ipFamilyPolicy);
  const policies = ["SingleStack", "PreferDualStack", "RequireDualStack"];
  if (fam && !policies.includes(fam)) out.push(notSupported("spec.ipFamilyPolicy", fam, policies));
  (Array.isArray(spec.ipFamilies) ? spec.ipFamilies : []).forEach((f, i) => {
    if (f !== "IPv4" && f !== "IPv6") out.push(notSupported(`spec.ipFamilies[${i}]`, String(f), ["IPv4", "IPv6"]));
  });
  return out;
}

function validateClusterIPs(spec: Obj, type: string): StatusCause[] {
  const out: StatusCause[] = [];
  const clusterIP = str(spec.clusterIP);
  const ips = arr(spec.clusterIPs).map(str);
  if (type === "ExternalName") {
    if (clusterIP || ips.length) out.push(forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
    return out;
  }
  if (clusterIP && ips.length && ips[0] !== clusterIP) out.push(invalid("spec.clusterIPs", new GoValue(goStringSlice(ips)), "first value must match `clusterIP`"));
  ips.forEach((ip, i) => {
    if (ip === "None" && i === 0) return;
    if (!isIP(ip)) out.push(invalid(`spec.clusterIPs[${i}]`, ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  });
  return out;
}

function validateHealthCheckNodePort(svc: Obj): StatusCause[] {
  const hc = obj(svc.spec)?.healthCheckNodePort;
  if (typeof hc !== "number" || hc === 0) return [];
  if (!needsHealthCheckNodePort(svc)) return [invalid("spec.healthCheckNodePort", hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'")];
  return isValidPortNum(hc).map((m) => invalid("spec.healthCheckNodePort", hc, m));
}

/**
 * Validates a Service create or update. An update first drops the fields its type change made
 * meaningless (upstream does that in PrepareForUpdate, which has no place of its own here).
 */
export function validateService(svc: Obj, old?: Obj): StatusCause[] {
  if (old) dropTypeDependentFields(svc, old);
  const spec = obj(svc.spec) ?? {};
  const out: StatusCause[] = [];
  const type = str(spec.type);
  if (!type) out.push(required("spec.type"));
  else if (!SERVICE_TYPES.includes(type)) out.push(notSupported("spec.type", type, SERVICE_TYPES));
  if (objs(spec.ports).length === 0 && !isHeadless(spec) && type !== "ExternalName") out.push(required("spec.ports"));
  out.push(...validatePorts(spec));
  if (type === "ExternalName") {
    const en = str(spec.externalName);
    if (!en) out.push(required("spec.externalName"));
    else out.push(...isDNS1123Subdomain(en.replace(/\.$/, "")).map((m) => invalid("spec.externalName", en, m)));
  }
  const affinity = str(spec.sessionAffinity);
  if (affinity && affinity !== "ClientIP" && affinity !== "None") out.push(notSupported("spec.sessionAffinity", affinity, ["ClientIP", "None"]));
  out.push(...validateClusterIPs(spec, type));
  out.push(...validateHealthCheckNodePort(svc));
  out.push(...validateTrafficPolicies(spec));
  out.push(...validateLabels(spec.selector, "spec.selector"));
  if (old) {
    const clusterIP = str(spec.clusterIP);
    const prevIP = str(obj(old.spec)?.clusterIP);
    // An update that omits clusterIP keeps the allocated one; only an explicit change is refused.
    if (prevIP && clusterIP && prevIP !== clusterIP && type !== "ExternalName") out.push(immutable("spec.clusterIPs[0]", clusterIP));
  }
  return out;
}

/** Service behaviour. */
export const service: KindBehaviour = { defaults: defaultService, validate: validateService };
