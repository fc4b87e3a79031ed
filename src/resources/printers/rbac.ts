/** RoleBinding and ClusterRoleBinding rows: the bound role and, in wide output, the subjects. */
import { AGE_COLUMN, col, NAME_COLUMN, wide, type Printer } from "./columns";
import { rec, recs, str, type Obj } from "./object-access";
import { since } from "./timestamps";

/** Subjects split by kind; service accounts print as namespace/name. */
function subjects(binding: Obj): { users: string[]; groups: string[]; serviceAccounts: string[] } {
  const out = { users: [] as string[], groups: [] as string[], serviceAccounts: [] as string[] };
  for (const s of recs(binding.subjects)) {
    if (s.kind === "ServiceAccount") out.serviceAccounts.push(`${str(s.namespace)}/${str(s.name)}`);
    else if (s.kind === "User") out.users.push(str(s.name));
    else if (s.kind === "Group") out.groups.push(str(s.name));
  }
  return out;
}

function bindingPrinter(what: string): Printer {
  return {
    columns: [
      NAME_COLUMN,
      col("Role", "string", "The role granted, as Kind/name."),
      AGE_COLUMN,
      wide("Users", "string", `Users in the ${what}.`),
      wide("Groups", "string", `Groups in the ${what}.`),
      wide("ServiceAccounts", "string", `Service accounts in the ${what}.`),
    ],
    print(b, now) {
      const ref = rec(b.roleRef);
      const s = subjects(b);
      return {
        cells: [
          str(rec(b.metadata).name),
          `${str(ref.kind)}/${str(ref.name)}`,
          since(now, rec(b.metadata).creationTimestamp),
          s.users.join(", "),
          s.groups.join(", "),
          s.serviceAccounts.join(", "),
        ],
      };
    },
  };
}

/** rbac.authorization.k8s.io/v1 rolebindings. */
export const roleBindingPrinter = bindingPrinter("role binding");
/** rbac.authorization.k8s.io/v1 clusterrolebindings. */
export const clusterRoleBindingPrinter = bindingPrinter("cluster role binding");
