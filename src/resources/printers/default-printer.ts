/**
 * The fallback for kinds without a dedicated printer (roles, cluster roles, ...): the name
 * and the creation time as an RFC 3339 date, which kubectl renders as an age itself.
 */
import { NAME_COLUMN, type Printer } from "./columns";
import { rec, str } from "./object-access";
import { rfc3339 } from "./timestamps";

/** Name and Created At, as kube-apiserver's default table convertor prints them. */
export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, { name: "Created At", type: "date", format: "", description: "When the object was created.", priority: 0 }],
  print: (o) => ({ cells: [str(rec(o.metadata).name), rfc3339(rec(o.metadata).creationTimestamp)] }),
};
