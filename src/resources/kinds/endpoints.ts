/**
 * Endpoints (core/v1): subset ports default to TCP and must be well formed.
 */
import type { StatusCause } from "../../api/status";
import { isDNS1123Label, isValidPortNum } from "../../lib/names";
import { invalid, notSupported, required } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { PORT_PROTOCOLS } from "./container-validation";
import { objs, setDefault, str, type Obj } from "./shape";

/** Fills an Endpoints object's defaults in place. */
export function defaultEndpoints(ep: Obj): void {
  for (const s of objs(ep.subsets)) for (const p of objs(s.ports)) setDefault(p, "protocol", "TCP");
}

/** Validates an Endpoints create or update. */
export function validateEndpoints(ep: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  objs(ep.subsets).forEach((s, i) => {
    const base = `subsets[${i}]`;
    for (const list of ["addresses", "notReadyAddresses"])
      objs(s[list]).forEach((a, j) => {
        if (!str(a.ip)) out.push(required(`${base}.${list}[${j}].ip`));
      });
    const ports = objs(s.ports);
    ports.forEach((p, j) => {
      const at = `${base}.ports[${j}]`;
      const name = str(p.name);
      if (ports.length > 1 && !name) out.push(required(`${at}.name`));
      if (name) out.push(...isDNS1123Label(name).map((m) => invalid(`${at}.name`, name, m)));
      out.push(...isValidPortNum(Number(p.port ?? 0)).map((m) => invalid(`${at}.port`, Number(p.port ?? 0), m)));
      const proto = str(p.protocol);
      if (!proto) out.push(required(`${at}.protocol`));
      else if (!PORT_PROTOCOLS.includes(proto)) out.push(notSupported(`${at}.protocol`, proto, PORT_PROTOCOLS));
    });
  });
  return out;
}

/** Endpoints behaviour. */
export const endpoints: KindBehaviour = { defaults: defaultEndpoints, validate: validateEndpoints };
