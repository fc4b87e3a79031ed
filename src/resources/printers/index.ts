/** Server-side Table printing for `kubectl get`. */
export { toTable, type IncludeObject, type ToTableOptions } from "./table";
export { humanDuration } from "./human-duration";
export { printerFor } from "./printer-for";
export type { Column, Printer, PrintedRow, RowCondition } from "./columns";
