/** What representation the client asked for in Accept. */
export interface Representation {
  table: boolean;
  yaml: boolean;
}

/** Parses Accept: a Table when any acceptable media range asks for `as=Table` in meta.k8s.io. */
export function negotiate(accept: string | undefined): Representation {
  const ranges = (accept ?? "").split(",").map((r) => r.trim().toLowerCase());
  let table = false;
  let yaml = false;
  for (const r of ranges) {
    const [media, ...params] = r.split(";").map((p) => p.trim());
    const p = Object.fromEntries(params.map((x) => x.split("=") as [string, string]));
    if (media === "application/json" && p.as === "table" && p.g === "meta.k8s.io" && (p.v === "v1" || p.v === "v1beta1")) {
      table = true;
      break;
    }
    if (media === "application/json" && !p.as) break;
    if (media === "application/yaml") {
      yaml = true;
      break;
    }
  }
  return { table, yaml };
}

export const TABLE_CONTENT_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io";
