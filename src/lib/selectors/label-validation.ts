/**
 * Syntax checks for label keys and values, with the messages kube-apiserver puts in its
 * 400 responses (clients and users grep for these, so the wording follows upstream).
 */

const QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QNAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QNAME_RE = new RegExp(`^${QNAME_FMT}$`);
const QNAME_MAX = 63;

const VALUE_FMT = `(${QNAME_FMT})?`;
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const VALUE_RE = new RegExp(`^${VALUE_FMT}$`);
const VALUE_MAX = 63;

const DNS_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS_SUBDOMAIN_FMT = `${DNS_LABEL_FMT}(\\.${DNS_LABEL_FMT})*`;
const DNS_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS_SUBDOMAIN_RE = new RegExp(`^${DNS_SUBDOMAIN_FMT}$`);
const DNS_SUBDOMAIN_MAX = 253;

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // Upstream writes "'a', " per example and " or " between them, hence the double space.
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${fmt}')`;
}

const maxLen = (n: number): string => `must be no more than ${n} characters`;

function dnsSubdomainErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > DNS_SUBDOMAIN_MAX) errs.push(maxLen(DNS_SUBDOMAIN_MAX));
  if (!DNS_SUBDOMAIN_RE.test(v)) errs.push(regexError(DNS_SUBDOMAIN_MSG, DNS_SUBDOMAIN_FMT, "example.com"));
  return errs;
}

/** Problems with a label key (`[prefix/]name`); empty when the key is valid. */
export function labelKeyErrors(key: string): string[] {
  const parts = key.split("/");
  const errs: string[] = [];
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else errs.push(...dnsSubdomainErrors(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QNAME_MSG, QNAME_FMT, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > QNAME_MAX) errs.push(`name part ${maxLen(QNAME_MAX)}`);
  if (!QNAME_RE.test(name)) errs.push(`name part ${regexError(QNAME_MSG, QNAME_FMT, "MyName", "my.name", "123-abc")}`);
  return errs;
}

/** Problems with a label value; empty when the value is valid ("" is valid). */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > VALUE_MAX) errs.push(maxLen(VALUE_MAX));
  if (!VALUE_RE.test(value)) errs.push(regexError(VALUE_MSG, VALUE_FMT, "MyValue", "my_value", "12345"));
  return errs;
}

/** One field error, rendered as upstream's `field.Invalid(...).Error()`. */
export function invalidField(path: string, value: unknown, detail: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}${detail ? `: ${detail}` : ""}`;
}

/** Several messages joined as upstream's aggregate error does (deduplicated, bracketed when more than one). */
export function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(", ")}]`;
}
