/** Rows for kinds whose columns are a count or a single field: namespaces, config maps, secrets, service accounts, leases. */
import { AGE_COLUMN, col, NAME_COLUMN, type Printer } from "./columns";
import { arr, rec, size, str, type Obj } from "./object-access";
import { since } from "./timestamps";

const name = (o: Obj): string => str(rec(o.metadata).name);
const age = (o: Obj, now: Date): string => since(now, rec(o.metadata).creationTimestamp);

/** core/v1 namespaces. */
export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, col("Status", "string", "The namespace's phase: Active or Terminating."), AGE_COLUMN],
  print: (o, now) => ({ cells: [name(o), str(rec(o.status).phase), age(o, now)] }),
};

/** core/v1 configmaps. */
export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, col("Data", "string", "Number of keys in data and binaryData."), AGE_COLUMN],
  print: (o, now) => ({ cells: [name(o), size(o.data) + size(o.binaryData), age(o, now)] }),
};

/** core/v1 secrets. */
export const secretPrinter: Printer = {
  columns: [NAME_COLUMN, col("Type", "string", "The secret's type, which fixes the keys it must hold."), col("Data", "string", "Number of keys in data."), AGE_COLUMN],
  print: (o, now) => ({ cells: [name(o), str(o.type), size(o.data), age(o, now)] }),
};

/** core/v1 serviceaccounts. */
export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, col("Secrets", "string", "Number of secrets listed on the service account."), AGE_COLUMN],
  print: (o, now) => ({ cells: [name(o), arr(o.secrets).length, age(o, now)] }),
};

/** coordination.k8s.io/v1 leases. */
export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, col("Holder", "string", "The identity currently holding the lease."), AGE_COLUMN],
  print: (o, now) => ({ cells: [name(o), str(rec(o.spec).holderIdentity), age(o, now)] }),
};
