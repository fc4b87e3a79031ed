/** Column definitions and the shape every per-resource printer implements. */
import type { Obj } from "./object-access";

/** A meta.k8s.io/v1 TableColumnDefinition (every field is always serialized). */
export interface Column {
  readonly name: string;
  readonly type: "string" | "integer" | "number" | "boolean" | "date";
  readonly format: string;
  readonly description: string;
  /** 0 shows by default; 1 only with `-o wide`. */
  readonly priority: number;
}

/** A meta.k8s.io/v1 TableRowCondition (upstream only ever sets type Completed). */
export interface RowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The cells of one row, in column order, plus any row conditions. */
export interface PrintedRow {
  cells: unknown[];
  conditions?: RowCondition[];
}

/** Renders objects of one resource as rows under fixed columns. */
export interface Printer {
  readonly columns: readonly Column[];
  print(obj: Obj, now: Date): PrintedRow;
}

const NAME_DESCRIPTION = "Name must be unique within a namespace; it identifies the object.";
const AGE_DESCRIPTION = "When the object was created, as time elapsed since then.";

/** The Name column: `format: "name"` lets kubectl print "kind/name" where it needs to. */
export const NAME_COLUMN: Column = { name: "Name", type: "string", format: "name", description: NAME_DESCRIPTION, priority: 0 };
/** The Age column; its cells are humanDuration strings. */
export const AGE_COLUMN: Column = { name: "Age", type: "string", format: "", description: AGE_DESCRIPTION, priority: 0 };

/** A column shown by default. */
export function col(name: string, type: Column["type"], description: string): Column {
  return { name, type, format: "", description, priority: 0 };
}

/** A column shown only with `-o wide`. */
export function wide(name: string, type: Column["type"], description: string): Column {
  return { name, type, format: "", description, priority: 1 };
}
