/**
 * Typed access to the field facts of the upstream v1.32 API types (k8s-api-fields.json).
 * This file is the single source for the zod schemas, the protobuf decoder, the
 * strategic-merge-patch metadata and the OpenAPI documents.
 */
import data from "./k8s-api-fields.json";

export type ScalarType = "string" | "int32" | "int64" | "bool" | "bytes" | "double" | "float";

export interface FieldMarkers {
  readonly optional?: boolean;
  readonly required?: boolean;
  readonly listType?: "atomic" | "set" | "map";
  readonly listMapKey?: string | string[];
  readonly patchStrategy?: string;
  readonly patchMergeKey?: string;
  readonly mapType?: string;
  readonly [marker: string]: unknown;
}

export interface FieldFact {
  readonly name: string;
  /** The JSON name when it differs from `name`; "-" means the field has no JSON form. */
  readonly json?: string;
  readonly number: number;
  readonly label: "optional" | "repeated" | "map";
  readonly type: string;
  readonly keyType?: string;
  readonly inline?: boolean;
  readonly markers?: FieldMarkers;
}

export interface MessageFact {
  readonly fields: readonly FieldFact[];
  readonly markers?: Record<string, unknown>;
}

export const messages: Readonly<Record<string, MessageFact>> = (data as { messages: Record<string, MessageFact> }).messages;

const SCALARS = new Set(["string", "int32", "int64", "bool", "bytes", "double", "float", "uint32", "uint64"]);

/** Messages whose JSON form is a scalar rather than an object. */
export const SPECIAL_MESSAGES = {
  time: "k8s.io.apimachinery.pkg.apis.meta.v1.Time",
  microTime: "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
  quantity: "k8s.io.apimachinery.pkg.api.resource.Quantity",
  intOrString: "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
  duration: "k8s.io.apimachinery.pkg.apis.meta.v1.Duration",
  rawExtension: "k8s.io.apimachinery.pkg.runtime.RawExtension",
  fieldsV1: "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1",
} as const;

export function isScalar(type: string): boolean {
  return SCALARS.has(type);
}

/** The package part of a full message name: "k8s.io.api.core.v1.Pod" → "k8s.io.api.core.v1". */
export function packageOf(fullName: string): string {
  return fullName.slice(0, fullName.lastIndexOf("."));
}

/**
 * Resolves a field's type to a full message name. Types starting with "." are absolute;
 * others are relative to the package of the message that declares the field.
 */
export function resolveType(declaringMessage: string, type: string): string {
  if (isScalar(type)) return type;
  if (type.startsWith(".")) return type.slice(1);
  return `${packageOf(declaringMessage)}.${type}`;
}

export function message(fullName: string): MessageFact {
  const m = messages[fullName];
  if (!m) throw new Error(`unknown API message ${fullName}`);
  return m;
}

/** The JSON key of a field ("" for fields with no JSON form, such as raw bytes). */
export function jsonName(f: FieldFact): string {
  if (f.json === "-") return "";
  return f.json ?? f.name;
}

/** The proto package for an API group/version, e.g. ("apps","v1") → "k8s.io.api.apps.v1". */
export function protoPackageFor(group: string, version: string): string {
  // The first label of the group names the package: "rbac.authorization.k8s.io" → "rbac".
  return `k8s.io.api.${group === "" ? "core" : group.split(".")[0]}.${version}`;
}

/** The full proto message name of a kind, if the field facts know it. */
export function messageNameFor(group: string, version: string, kind: string): string | undefined {
  const pkgs = [protoPackageFor(group, version), "k8s.io.apimachinery.pkg.apis.meta.v1"];
  for (const p of pkgs) if (messages[`${p}.${kind}`]) return `${p}.${kind}`;
  return undefined;
}
