/**
 * EndpointSlices (discovery.k8s.io/v1): a fixed address type, 1-100 addresses per endpoint
 * of that type, and well-formed ports.
 */
import type { StatusCause } from "../../api/status";
import { isDNS1123Label, isDNS1123Subdomain, isValidPortNum } from "../../lib/names";
import { duplicate, immutable, invalid, notSupported, required, tooMany } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { PORT_PROTOCOLS } from "./container-validation";
import { arr, obj, objs, setDefault, str, type Obj } from "./shape";

/** Address types, in the order the apiserver lists them. */
export const ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"];
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;

/** Fills an EndpointSlice's defaults in place. */
export function defaultEndpointSlice(slice: Obj): void {
  for (const p of objs(slice.ports)) {
    setDefault(p, "protocol", "TCP");
    if (p.name === undefined || p.name === null) p.name = "";
  }
}

function addressErrors(type: string, addr: string): string[] {
  if (type === "IPv4") {
    const parts = addr.split(".");
    return parts.length === 4 && parts.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255) ? [] : ["must be a valid IPv4 address"];
  }
  if (type === "IPv6") return addr.includes(":") && /^[0-9a-fA-F:]+$/.test(addr) ? [] : ["must be a valid IPv6 address"];
  if (type === "FQDN") return isDNS1123Subdomain(addr);
  return [];
}

/** Validates an EndpointSlice create or update. */
export function validateEndpointSlice(slice: Obj, old?: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  const type = str(slice.addressType);
  if (!type) out.push(required("addressType"));
  else if (!ADDRESS_TYPES.includes(type)) out.push(notSupported("addressType", type, ADDRESS_TYPES));
  objs(slice.endpoints).forEach((ep, i) => {
    const at = `endpoints[${i}].addresses`;
    const addrs = arr(ep.addresses).map(String);
    if (addrs.length === 0) out.push(required(at, "must contain at least 1 address"));
    else if (addrs.length > MAX_ADDRESSES) out.push(tooMany(at, addrs.length, MAX_ADDRESSES));
    addrs.forEach((a, j) => out.push(...addressErrors(type, a).map((m) => invalid(`${at}[${j}]`, a, m))));
  });
  const ports = objs(slice.ports);
  if (ports.length > MAX_PORTS) out.push(tooMany("ports", ports.length, MAX_PORTS));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const at = `ports[${i}]`;
    const name = str(p.name);
    if (name) out.push(...isDNS1123Label(name).map((m) => invalid(`${at}.name`, name, m)));
    if (names.has(name)) out.push(duplicate(`${at}.name`, name));
    names.add(name);
    if (typeof p.port === "number") out.push(...isValidPortNum(p.port).map((m) => invalid(`${at}.port`, p.port as number, m)));
    const proto = str(p.protocol);
    if (!proto) out.push(required(`${at}.protocol`));
    else if (!PORT_PROTOCOLS.includes(proto)) out.push(notSupported(`${at}.protocol`, proto, PORT_PROTOCOLS));
  });
  if (old && str(old.addressType) && type !== str(old.addressType)) out.push(immutable("addressType", type));
  return out;
}

/** EndpointSlice behaviour. */
export const endpointSlice: KindBehaviour = { defaults: defaultEndpointSlice, validate: validateEndpointSlice };
