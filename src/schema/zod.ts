/**
 * zod schemas for any API message, built at runtime from the field facts (never written by
 * hand). Schemas are built lazily, cached per message, and recurse through `z.lazy`.
 * Unknown keys are stripped, as upstream's Go structs drop them; a `null` for a field is
 * accepted and comes out as absent. Message-typed fields refer to their schema through
 * `z.lazy`, so recursive messages terminate.
 */
import { z } from "zod";
import { jsonFields, type JsonForm, type ScalarKind } from "./json-forms";
import { BASE64, GO_DURATION, QUANTITY, RFC3339, quantityError } from "./special-values";

const cache = new Map<string, z.ZodType>();

const int = (lo: number, hi: number) => z.number().int().min(lo).max(hi);
const quantityString = z.string().regex(QUANTITY).refine((s) => quantityError(s) === undefined, "unable to parse quantity's suffix");

const SCALARS: Readonly<Record<ScalarKind, z.ZodType>> = {
  string: z.string(),
  int32: int(-(2 ** 31), 2 ** 31 - 1),
  int64: int(-(2 ** 63), 2 ** 63),
  uint32: int(0, 2 ** 32 - 1),
  uint64: int(0, 2 ** 64),
  bool: z.boolean(),
  bytes: z.string().regex(BASE64, "illegal base64 data"),
  double: z.number(),
  float: z.number(),
  time: z.string().regex(RFC3339, "must be an RFC 3339 time"),
  microTime: z.string().regex(RFC3339, "must be an RFC 3339 time"),
  // Upstream accepts a bare JSON number for a quantity too.
  quantity: z.union([quantityString, z.number()]),
  intOrString: z.union([int(-(2 ** 31), 2 ** 31 - 1), z.string()]),
  duration: z.string().regex(GO_DURATION, "must be a Go duration"),
  any: z.unknown(),
};

function formSchema(form: JsonForm): z.ZodType {
  switch (form.kind) {
    case "scalar":
      return SCALARS[form.scalar];
    case "message":
      return z.lazy(() => schemaFor(form.message));
    case "array":
      return z.array(formSchema(form.item));
    case "map":
      return z.record(z.string(), formSchema(form.value));
  }
}

const nullToAbsent = (v: unknown) => (v === null ? undefined : v);

/**
 * The zod schema of an API message's JSON form, by full proto message name.
 *
 * @example
 * schemaFor("k8s.io.api.apps.v1.Deployment").parse({ spec: { replicas: 3 } });
 */
export function schemaFor(messageName: string): z.ZodType {
  const hit = cache.get(messageName);
  if (hit) return hit;
  const shape: Record<string, z.ZodType> = {};
  for (const f of jsonFields(messageName)) {
    shape[f.key] = formSchema(f.form).nullish().transform(nullToAbsent);
  }
  const built = z.object(shape);
  cache.set(messageName, built);
  return built;
}
