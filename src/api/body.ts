import { parse as parseYaml } from "yaml";
import { decodeK8sProtobuf, isK8sProtobuf } from "../lib/protobuf";
import { errors } from "./status";

/** kube-apiserver's request body limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export type BodyFormat = "json" | "yaml" | "protobuf" | "json-patch" | "merge-patch" | "strategic-merge-patch" | "apply-patch";

const MEDIA_TYPES: Record<string, BodyFormat> = {
  "application/json": "json",
  "application/yaml": "yaml",
  "application/vnd.kubernetes.protobuf": "protobuf",
  "application/json-patch+json": "json-patch",
  "application/merge-patch+json": "merge-patch",
  "application/strategic-merge-patch+json": "strategic-merge-patch",
  "application/apply-patch+yaml": "apply-patch",
};

/** The body's format from its Content-Type; a missing one means JSON (kubectl's PUT of a Scale). */
export function bodyFormat(contentType: string | undefined): BodyFormat {
  if (!contentType) return "json";
  const media = contentType.split(";")[0].trim().toLowerCase();
  const f = MEDIA_TYPES[media];
  if (!f) throw errors.unsupportedMediaType(contentType);
  return f;
}

/** Reads the raw body, refusing anything over the limit before and while reading. */
export async function readBody(req: Request): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw errors.tooLarge();
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw errors.tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function describeJsonError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Decodes a body into a JSON value according to its format. */
export function decodeBody(bytes: Uint8Array, format: BodyFormat): unknown {
  if (format === "protobuf") {
    if (!isK8sProtobuf(bytes)) throw errors.badRequest("the body of the request is not a Kubernetes protobuf message");
    return decodeK8sProtobuf(bytes);
  }
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") throw errors.badRequest("the body of the request was empty");
  if (format === "yaml" || format === "apply-patch") {
    try {
      const docs = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
      return docs;
    } catch (e) {
      throw errors.badRequest(`error converting YAML to JSON: ${describeJsonError(e)}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${describeJsonError(e)}`);
  }
}
