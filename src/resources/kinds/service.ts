/**
 * Services: type, affinity, port and traffic-policy defaults, and port / type / IP rules.
 * ClusterIP and nodePort allocation happen elsewhere; here only what the user sent is judged.
 */
import type { StatusCause } from "../../api/status";
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum, maskTrailingDash } from "../../lib/names";
import { duplicate, forbidden, goQuote, GoValue, immutable, invalid, notSupported, required } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { PORT_PROTOCOLS } from "./container-validation";
import { validateLabels } from "./labels";
import type { NameRule } from "./metadata";
import { ensureObj, obj, objs, setDefault, str, type Obj } from "./shape";

/** Service types, in the order the apiserver lists them. */
export const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
/** The node port range of a default apiserver (--service-node-port-range). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

/** Service names become DNS labels and env var prefixes, so they must start with a letter. */
export const serviceName: NameRule = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

function isHeadless(spec: Obj): boolean {
  return spec.clusterIP === "None";
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

/** Validates a Service create or update. */
export function validateService(svc: Obj, old?: Obj): StatusCause[] {
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
  const clusterIP = str(spec.clusterIP);
  if (clusterIP && clusterIP !== "None" && !isIP(clusterIP)) out.push(invalid("spec.clusterIPs[0]", clusterIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
  out.push(...validateTrafficPolicies(spec));
  out.push(...validateLabels(spec.selector, "spec.selector"));
  if (old) {
    const prevIP = str(obj(old.spec)?.clusterIP);
    // An update that omits clusterIP keeps the allocated one; only an explicit change is refused.
    if (prevIP && clusterIP && prevIP !== clusterIP && type !== "ExternalName") out.push(immutable("spec.clusterIPs[0]", clusterIP));
  }
  return out;
}

/** Service behaviour. */
export const service: KindBehaviour = { defaults: defaultService, validate: validateService };
