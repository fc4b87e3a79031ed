/**
 * The Kubernetes protobuf envelope: the 4-byte "k8s\0" magic, then a runtime.Unknown
 * whose typeMeta names the object's apiVersion and kind and whose raw bytes are the
 * object's own message.
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { SPECIAL_MESSAGES, messageNameFor } from "../../schema/fields";
import { errors } from "../../api/status";
import { asBadRequest, decodeObject } from "./decode-message";
import { readLengthDelimited, readTag, skipField } from "./wire";

const MAGIC = [0x6b, 0x38, 0x73, 0x00] as const;
const SPECIAL = new Set<string>(Object.values(SPECIAL_MESSAGES));

/** What the server knows of the target when the envelope leaves apiVersion or kind empty. */
export interface EnvelopeDefaults {
  readonly apiVersion?: string;
  readonly kind?: string;
}

interface Unknown {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

/**
 * True if the bytes start with the "k8s\0" magic.
 * @example isK8sProtobuf(new Uint8Array([0x6b, 0x38, 0x73, 0, 0x0a])) // true
 */
export function isK8sProtobuf(body: Uint8Array): boolean {
  return body.length >= MAGIC.length && MAGIC.every((b, i) => body[i] === b);
}

const utf8 = new TextDecoder();

/** runtime.Unknown: typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2; the content fields are unused. */
function readUnknown(bytes: Uint8Array): Unknown {
  const out: Unknown = { apiVersion: "", kind: "", raw: new Uint8Array() };
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [no, wt] = readTag(reader);
    if (no === 1) {
      const tm = new BinaryReader(readLengthDelimited(reader, no, wt));
      while (tm.pos < tm.len) {
        const [tno, twt] = readTag(tm);
        if (tno === 1) out.apiVersion = utf8.decode(readLengthDelimited(tm, tno, twt));
        else if (tno === 2) out.kind = utf8.decode(readLengthDelimited(tm, tno, twt));
        else skipField(tm, tno, twt);
      }
    } else if (no === 2) {
      out.raw = readLengthDelimited(reader, no, wt);
    } else {
      // contentEncoding and contentType: the upstream decoder ignores them as well and
      // always reads raw as the kind's protobuf message.
      skipField(reader, no, wt);
    }
  }
  return out;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * Decodes the k8s\0 + runtime.Unknown envelope and the object inside into its JSON form,
 * with apiVersion and kind set from the envelope (or from `defaults` where it leaves them
 * empty, as the apiserver fills them from the request's resource). Throws a 400
 * StatusError for a bad prefix, malformed bytes or a kind the field facts do not know.
 * @example decodeK8sProtobuf(body) // { apiVersion: "v1", kind: "Namespace", metadata: { name: "foo" }, ... }
 */
export function decodeK8sProtobuf(body: Uint8Array, defaults: EnvelopeDefaults = {}): Record<string, unknown> {
  if (body.length === 0) throw errors.badRequest("empty protobuf body");
  if (!isK8sProtobuf(body)) throw errors.badRequest('the body is not a Kubernetes protobuf message: it lacks the "k8s\\x00" prefix');
  if (body.length === MAGIC.length) throw errors.badRequest("empty protobuf body after the prefix");

  let unk: Unknown;
  try {
    unk = readUnknown(body.subarray(MAGIC.length));
  } catch (e) {
    throw asBadRequest(e, "malformed protobuf envelope");
  }
  const apiVersion = unk.apiVersion || defaults.apiVersion || "";
  const kind = unk.kind || defaults.kind || "";
  if (!kind) throw errors.badRequest("Object 'Kind' is missing from the protobuf envelope");
  if (!apiVersion) throw errors.badRequest("Object 'apiVersion' is missing from the protobuf envelope");

  const { group, version } = splitApiVersion(apiVersion);
  const name = messageNameFor(group, version, kind);
  if (!name || SPECIAL.has(name)) throw errors.badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  try {
    return { apiVersion, kind, ...decodeObject(unk.raw, name) };
  } catch (e) {
    throw asBadRequest(e, `${kind} in version "${version}" cannot be handled as a ${kind}`);
  }
}
