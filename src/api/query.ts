import { errors } from "./status";

/** Reads an integer query parameter, refusing junk the way upstream's decoder does. */
export function intParam(url: URL, name: string): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw errors.badRequest(`invalid ${name}: ${JSON.stringify(v)}: must be an integer`);
  return n;
}

export function boolParam(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v === "true" || v === "1";
}

/** dryRun accepts only "All". */
export function dryRunParam(url: URL): boolean {
  const values = url.searchParams.getAll("dryRun");
  for (const v of values) if (v !== "All") throw errors.badRequest(`Invalid dry run value: ${v}, only "All" is supported`);
  return values.length > 0;
}
