/**
 * Turns a question about a name in the cluster domain into answer records. Every record lives
 * 5 seconds (CoreDNS's default), so clients notice Service changes quickly. A name that exists
 * but has no records of the asked type answers NOERROR with no data; both that and NXDOMAIN carry
 * the zone's SOA in the authority section, which tells resolvers how long to cache the absence.
 */
import { isIPv4, isIPv6 } from "node:net";
import { RCode, RRClass, RRType, type DnsQuestion, type DnsRecord } from "./dns-message";
import type { DnsCatalog } from "./dns-catalog";
import { parseClusterQuery, type ClusterQuery } from "./cluster-query";
import { lookupService, namespaceKnown, type LookupResult, type Target } from "./cluster-lookup";

export const CLUSTER_TTL_SECONDS = 5;

/** How many aliases in a row are followed inside the zone before giving up. */
const MAX_ALIAS_DEPTH = 8;

export interface ClusterZone {
  catalog: DnsCatalog;
  /** The cluster domain, lower case, no trailing dot (`cluster.local`). */
  zone: string;
  /** Its labels, as {@link parseClusterQuery} takes them. */
  labels: string[];
  /** The address the DNS server listens on, for `ns.dns.<zone>`. */
  serverAddress: string;
}

export interface ClusterAnswer {
  rcode: number;
  answers: DnsRecord[];
  additionals: DnsRecord[];
  /** The answer is NXDOMAIN or has no data; the zone's SOA goes in the authority section. */
  negative: boolean;
  /** The last alias points outside the zone; its records have to come from the upstream resolvers. */
  chase?: string;
}

/** Answers `question` about `query` (the question's name, already parsed). */
export function answerClusterQuestion(question: DnsQuestion, query: ClusterQuery, z: ClusterZone, depth = 0): ClusterAnswer {
  const result = resolveQuery(query, z);
  if (!result.found) return { rcode: RCode.NXDOMAIN, answers: [], additionals: [], negative: true };
  if (result.alias !== undefined) return followAlias(question, result.alias, z, depth);
  const { answers, additionals } = recordsFor(question, query, result.targets, z);
  return { rcode: RCode.NOERROR, answers, additionals, negative: answers.length === 0 };
}

/** The zone's SOA record, as CoreDNS words it. */
export function zoneSoa(zone: string): DnsRecord {
  return {
    name: zone,
    type: RRType.SOA,
    class: RRClass.IN,
    ttl: CLUSTER_TTL_SECONDS,
    data: {
      kind: "soa",
      mname: `ns.dns.${zone}`,
      rname: `hostmaster.${zone}`,
      // nothing transfers this zone, so the serial carries no meaning
      serial: 1,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: CLUSTER_TTL_SECONDS,
    },
  };
}

function resolveQuery(query: ClusterQuery, z: ClusterZone): LookupResult {
  switch (query.kind) {
    case "apex":
      return { found: true, targets: [] };
    case "nameserver":
      return { found: true, targets: [{ owner: `ns.dns.${z.zone}`, ip: z.serverAddress }] };
    case "namespace":
      // the catalog holds no pods, so any namespace is accepted under pod.<zone>
      return query.place === "pod" || namespaceKnown(z.catalog, query.namespace) ? { found: true, targets: [] } : { found: false };
    case "pod":
      return query.ip ? { found: true, targets: [{ owner: "", ip: query.ip }] } : { found: false };
    case "service":
      return lookupService(z.catalog, z.zone, query);
    case "invalid":
      return { found: false };
  }
}

function followAlias(question: DnsQuestion, target: string, z: ClusterZone, depth: number): ClusterAnswer {
  const cname: DnsRecord = { name: question.name, type: RRType.CNAME, class: RRClass.IN, ttl: CLUSTER_TTL_SECONDS, data: { kind: "name", name: target } };
  const base: ClusterAnswer = { rcode: RCode.NOERROR, answers: [cname], additionals: [], negative: false };
  if (question.type === RRType.CNAME) return base;
  const inner = parseClusterQuery(target, z.labels);
  if (inner === undefined) return { ...base, chase: target };
  if (depth >= MAX_ALIAS_DEPTH) return base;
  const next = answerClusterQuestion({ ...question, name: target }, inner, z, depth + 1);
  return { ...next, answers: [cname, ...next.answers] };
}

function recordsFor(question: DnsQuestion, query: ClusterQuery, targets: Target[], z: ClusterZone): { answers: DnsRecord[]; additionals: DnsRecord[] } {
  const none = { answers: [], additionals: [] };
  switch (question.type) {
    case RRType.A:
    case RRType.AAAA:
      return { answers: addressRecords(question.name, question.type, targets), additionals: [] };
    case RRType.SRV:
      return srvRecords(question.name, targets);
    case RRType.SOA:
      if (query.kind !== "apex" || !isZoneApex(question, z)) return none;
      return { answers: [{ ...zoneSoa(z.zone), name: question.name }], additionals: [] };
    case RRType.NS: {
      if (query.kind !== "apex" || !isZoneApex(question, z)) return none;
      const server = `ns.dns.${z.zone}`;
      return {
        answers: [{ name: question.name, type: RRType.NS, class: RRClass.IN, ttl: CLUSTER_TTL_SECONDS, data: { kind: "name", name: server } }],
        additionals: addressRecords(server, isIPv6(z.serverAddress) ? RRType.AAAA : RRType.A, [{ owner: server, ip: z.serverAddress }]),
      };
    }
    default:
      return none;
  }
}

function isZoneApex(question: DnsQuestion, z: ClusterZone): boolean {
  return question.name.toLowerCase().replace(/\.$/, "") === z.zone;
}

function addressRecords(name: string, type: number, targets: Target[]): DnsRecord[] {
  const wanted = type === RRType.A ? isIPv4 : isIPv6;
  const seen = new Set<string>();
  const out: DnsRecord[] = [];
  for (const t of targets) {
    if (!wanted(t.ip) || seen.has(t.ip)) continue;
    seen.add(t.ip);
    out.push({ name, type, class: RRClass.IN, ttl: CLUSTER_TTL_SECONDS, data: { kind: "address", address: t.ip } });
  }
  return out;
}

/**
 * One SRV record per distinct (target, port), priority 0 and the weight split evenly as CoreDNS
 * does (100 / number of records, rounded down); the targets' addresses go in the extra section.
 */
function srvRecords(name: string, targets: Target[]): { answers: DnsRecord[]; additionals: DnsRecord[] } {
  const withPort = targets.filter((t) => t.port !== undefined);
  const weight = withPort.length > 0 ? Math.floor(100 / withPort.length) : 0;
  const seen = new Set<string>();
  const answers: DnsRecord[] = [];
  for (const t of withPort) {
    const key = `${t.owner}:${t.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    answers.push({ name, type: RRType.SRV, class: RRClass.IN, ttl: CLUSTER_TTL_SECONDS, data: { kind: "srv", priority: 0, weight, port: t.port!, target: t.owner } });
  }
  const additionals: DnsRecord[] = [];
  const owners = [...new Set(withPort.map((t) => t.owner))];
  for (const owner of owners) {
    const own = withPort.filter((t) => t.owner === owner);
    additionals.push(...addressRecords(owner, RRType.A, own), ...addressRecords(owner, RRType.AAAA, own));
  }
  return { answers, additionals };
}
