/**
 * RoleBindings and ClusterRoleBindings: subject and roleRef API-group defaults, roleRef and
 * subject rules, and a roleRef that can never change (a new binding must be made instead).
 */
import type { StatusCause } from "../../api/status";
import { isDNS1123Subdomain } from "../../lib/names";
import { goQuote, GoValue, invalid, notSupported, required } from "./field-errors";
import type { KindBehaviour } from "./behaviour";
import { rbacName } from "./role";
import { ensureObj, jsonEqual, obj, objs, str, type Obj } from "./shape";

/** The RBAC API group. */
export const RBAC_GROUP = "rbac.authorization.k8s.io";

/** Fills a binding's defaults in place. */
export function defaultBinding(b: Obj): void {
  const ref = ensureObj(b, "roleRef");
  if (!str(ref.apiGroup)) ref.apiGroup = RBAC_GROUP;
  for (const s of objs(b.subjects)) {
    if (str(s.apiGroup)) continue;
    if (s.kind === "ServiceAccount") s.apiGroup = "";
    else if (s.kind === "User" || s.kind === "Group") s.apiGroup = RBAC_GROUP;
  }
}

function goRoleRef(ref: Obj): GoValue {
  return new GoValue(`rbac.RoleRef{APIGroup:${goQuote(str(ref.apiGroup))}, Kind:${goQuote(str(ref.kind))}, Name:${goQuote(str(ref.name))}}`);
}

function validateSubject(s: Obj, namespaced: boolean, at: string): StatusCause[] {
  const out: StatusCause[] = [];
  const name = str(s.name);
  if (!name) out.push(required(`${at}.name`));
  const group = str(s.apiGroup);
  switch (s.kind) {
    case "ServiceAccount":
      if (name) out.push(...isDNS1123Subdomain(name).map((m) => invalid(`${at}.name`, name, m)));
      if (group !== "") out.push(notSupported(`${at}.apiGroup`, group, [""]));
      // Inside a namespaced binding the subject's namespace defaults to the binding's.
      if (!namespaced && !str(s.namespace)) out.push(required(`${at}.namespace`));
      break;
    case "User":
    case "Group":
      if (group !== RBAC_GROUP) out.push(notSupported(`${at}.apiGroup`, group, [RBAC_GROUP]));
      break;
    default:
      out.push(notSupported(`${at}.kind`, str(s.kind), ["ServiceAccount", "User", "Group"]));
  }
  return out;
}

function validateBinding(b: Obj, old: Obj | undefined, namespaced: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const ref = obj(b.roleRef) ?? {};
  if (str(ref.apiGroup) !== RBAC_GROUP) out.push(notSupported("roleRef.apiGroup", str(ref.apiGroup), [RBAC_GROUP]));
  const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  if (!kinds.includes(str(ref.kind))) out.push(notSupported("roleRef.kind", str(ref.kind), kinds));
  const name = str(ref.name);
  if (!name) out.push(required("roleRef.name"));
  else out.push(...rbacName(name, false).map((m) => invalid("roleRef.name", name, m)));
  objs(b.subjects).forEach((s, i) => out.push(...validateSubject(s, namespaced, `subjects[${i}]`)));
  if (old && !jsonEqual(ref, obj(old.roleRef) ?? {})) out.push(invalid("roleRef", goRoleRef(ref), "cannot change roleRef"));
  return out;
}

/** RoleBinding behaviour. */
export const roleBinding: KindBehaviour = { defaults: defaultBinding, validate: (b, old) => validateBinding(b, old, true) };
/** ClusterRoleBinding behaviour. */
export const clusterRoleBinding: KindBehaviour = { defaults: defaultBinding, validate: (b, old) => validateBinding(b, old, false) };
