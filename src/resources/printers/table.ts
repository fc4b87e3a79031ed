/** Assembles the meta.k8s.io/v1 Table that kubectl asks for with `Accept: ...;as=Table`. */
import type { ResourceType } from "../registry";
import { printerFor } from "./printer-for";

/** How much of each object a row carries in `rows[].object`. */
export type IncludeObject = "None" | "Metadata" | "Object";

/** Options of toTable. */
export interface ToTableOptions {
  /** Defaults to "Metadata": kubectl reads namespace and labels from it (-A, -L, --show-labels). */
  includeObject?: IncludeObject;
  now: Date;
  /** false leaves columnDefinitions empty, as upstream does for watch events after the first. */
  withHeaders?: boolean;
  listMeta?: { resourceVersion?: string; continue?: string };
}

function rowObject(obj: Record<string, unknown>, include: IncludeObject): Record<string, unknown> | undefined {
  if (include === "None") return undefined;
  if (include === "Object") return obj;
  const metadata = obj.metadata;
  return {
    kind: "PartialObjectMetadata",
    apiVersion: "meta.k8s.io/v1",
    metadata: typeof metadata === "object" && metadata !== null ? metadata : {},
  };
}

/**
 * Builds a meta.k8s.io/v1 Table for objects of one resource type. `includeObject` default is
 * Metadata (rows[].object is a PartialObjectMetadata {kind:"PartialObjectMetadata",
 * apiVersion:"meta.k8s.io/v1", metadata}); "Object" embeds the full object; "None" omits it.
 * `withHeaders` false leaves columnDefinitions empty (watch events after the first).
 * listMeta is copied into table.metadata (resourceVersion, continue; empty values are
 * omitted). All columns, wide ones included, are always filled: kubectl picks by priority.
 * @example toTable(podsType, [pod], { now: clock.now(), listMeta: { resourceVersion: "108" } })
 */
export function toTable(rt: ResourceType, objects: Record<string, unknown>[], opts: ToTableOptions): Record<string, unknown> {
  const printer = printerFor(rt);
  const include = opts.includeObject ?? "Metadata";
  const metadata: Record<string, string> = {};
  if (opts.listMeta?.resourceVersion) metadata.resourceVersion = opts.listMeta.resourceVersion;
  if (opts.listMeta?.continue) metadata.continue = opts.listMeta.continue;
  const rows = objects.map((obj) => {
    const printed = printer.print(obj, opts.now);
    const row: Record<string, unknown> = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions;
    const embedded = rowObject(obj, include);
    if (embedded) row.object = embedded;
    return row;
  });
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: opts.withHeaders === false ? [] : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
