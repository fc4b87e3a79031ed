/** Endpoints and EndpointSlice rows: the first three addresses, then "+ N more...". */
import { AGE_COLUMN, col, NAME_COLUMN, type Printer } from "./columns";
import { arr, int, rec, recs, str } from "./object-access";
import { since } from "./timestamps";

const SHOWN = 3;

/** The first three items, then "+ N more..." for the rest. */
function firstFew(items: string[]): string {
  const head = items.slice(0, SHOWN).join(",");
  return items.length > SHOWN ? `${head} + ${items.length - SHOWN} more...` : head;
}

function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** core/v1 endpoints. */
export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, col("Endpoints", "string", "Ready addresses with their ports."), AGE_COLUMN],
  print(o, now) {
    const subsets = recs(o.subsets);
    const items: string[] = [];
    for (const ss of subsets) {
      const addrs = recs(ss.addresses).map((a) => str(a.ip));
      const ports = recs(ss.ports);
      // Headless services may list addresses without ports.
      if (ports.length === 0) items.push(...addrs);
      else for (const p of ports) for (const a of addrs) items.push(hostPort(a, int(p.port)));
    }
    return { cells: [str(rec(o.metadata).name), subsets.length ? firstFew(items) : "<none>", since(now, rec(o.metadata).creationTimestamp)] };
  },
};

/** "<unset>" stands in for an empty list, as upstream prints it. */
function orUnset(s: string): string {
  return s === "" ? "<unset>" : s;
}

/** discovery.k8s.io/v1 endpointslices. */
export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    col("AddressType", "string", "IPv4, IPv6 or FQDN."),
    col("Ports", "string", "Port numbers (or names) the endpoints serve."),
    col("Endpoints", "string", "Addresses of the endpoints."),
    AGE_COLUMN,
  ],
  print(o, now) {
    const ports = recs(o.ports).map((p) => (typeof p.port === "number" ? String(int(p.port)) : typeof p.name === "string" ? p.name : "*"));
    const addresses = recs(o.endpoints).flatMap((e) => arr(e.addresses).map(str));
    return {
      cells: [str(rec(o.metadata).name), str(o.addressType), orUnset(firstFew(ports)), orUnset(firstFew(addresses)), since(now, rec(o.metadata).creationTimestamp)],
    };
  },
};
