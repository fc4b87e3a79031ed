/**
 * Turns one query packet into the reply packet, whatever the transport: names in the cluster
 * domain and reverse names of cluster addresses are answered here, everything else is relayed to
 * the upstream resolvers. Garbage is dropped (too short, or itself a response, so two servers can
 * never bounce packets between them) or answered FORMERR; nothing in a packet can make this throw.
 */
import { answerClusterQuestion, CLUSTER_TTL_SECONDS, zoneSoa, type ClusterAnswer, type ClusterZone } from "./cluster-answer";
import { parseClusterQuery } from "./cluster-query";
import type { DnsCatalog } from "./dns-catalog";
import { decodeHeader, decodeMessage, DnsFormatError } from "./dns-decode";
import { encodeMessage, MAX_MESSAGE_BYTES } from "./dns-encode";
import { emptyFlags, Opcode, RCode, RRClass, RRType, type DnsMessage, type DnsQuestion, type DnsRecord } from "./dns-message";
import { readEdns, serverOpt, udpLimit, type EdnsInfo } from "./edns";
import type { UpstreamForwarder } from "./forwarder";
import { addressFromReverseName, namesForAddress } from "./reverse-lookup";

export type Transport = "udp" | "tcp";

export interface DnsResponderOptions {
  catalog: DnsCatalog;
  /** The cluster domain, lower case, no trailing dot. */
  zone: string;
  zoneLabels: string[];
  serverAddress: string;
  forwarder: UpstreamForwarder;
}

export class DnsResponder {
  private readonly zone: ClusterZone;

  constructor(private readonly opts: DnsResponderOptions) {
    this.zone = { catalog: opts.catalog, zone: opts.zone, labels: opts.zoneLabels, serverAddress: opts.serverAddress };
  }

  /** The reply to `packet`, or undefined when it deserves none. */
  async respond(packet: Uint8Array, transport: Transport): Promise<Uint8Array | undefined> {
    const header = decodeHeader(packet);
    if (!header || header.flags.qr) return undefined;
    let query: DnsMessage;
    try {
      query = decodeMessage(packet);
    } catch (err) {
      if (!(err instanceof DnsFormatError)) throw err;
      return encodeMessage(reply({ id: header.id, flags: header.flags, questions: [], answers: [], authorities: [], additionals: [] }, RCode.FORMERR));
    }
    const edns = readEdns(query);
    const limit = transport === "udp" && edns !== "invalid" ? udpLimit(edns) : MAX_MESSAGE_BYTES;
    const finish = (msg: DnsMessage) => {
      if (edns && edns !== "invalid") msg.additionals.push(serverOpt(msg.flags.rcode));
      msg.flags.rcode &= 0xf;
      return encodeMessage(msg, { maxBytes: limit });
    };
    if (edns === "invalid") return finish(reply(query, RCode.FORMERR));
    if (edns && edns.version > 0) return finish(reply(query, RCode.BADVERS));
    if (query.flags.opcode !== Opcode.QUERY) return finish(reply(query, RCode.NOTIMP));
    if (query.questions.length !== 1) return finish(reply(query, RCode.FORMERR));
    const question = query.questions[0];

    const clusterQuery = parseClusterQuery(question.name, this.opts.zoneLabels);
    if (clusterQuery !== undefined) {
      if (question.class !== RRClass.IN && question.class !== RRClass.ANY) return finish(reply(query, RCode.REFUSED));
      if (this.opts.catalog.synced === false) return finish(reply(query, RCode.SERVFAIL));
      const answer = answerClusterQuestion(question, clusterQuery, this.zone);
      if (answer.chase !== undefined) await this.chase(answer, question.type);
      return finish(this.authoritative(query, answer));
    }

    const reverse = question.type === RRType.PTR && this.opts.catalog.synced !== false ? this.reverse(question) : [];
    if (reverse.length > 0) return finish(this.authoritative(query, { rcode: RCode.NOERROR, answers: reverse, additionals: [], negative: false }));

    if (!this.opts.forwarder.hasUpstreams) return finish(reply(query, RCode.SERVFAIL));
    const relayed = await this.opts.forwarder.forward(packet, question, transport === "tcp");
    return relayed ?? finish(reply(query, RCode.SERVFAIL));
  }

  /** Appends what the upstreams say about an alias's target outside the cluster. */
  private async chase(answer: ClusterAnswer, type: number): Promise<void> {
    const upstream = this.opts.forwarder.hasUpstreams ? await this.opts.forwarder.resolve(answer.chase!, type) : undefined;
    if (upstream && upstream.flags.rcode === RCode.NOERROR) answer.answers.push(...upstream.answers.filter((r) => r.type !== RRType.OPT));
  }

  private reverse(question: DnsQuestion): DnsRecord[] {
    const ip = addressFromReverseName(question.name);
    if (ip === undefined) return [];
    return namesForAddress(this.opts.catalog, this.opts.zone, ip).map((name) => ({
      name: question.name,
      type: RRType.PTR,
      class: RRClass.IN,
      ttl: CLUSTER_TTL_SECONDS,
      data: { kind: "name", name },
    }));
  }

  private authoritative(query: DnsMessage, answer: ClusterAnswer): DnsMessage {
    const msg = reply(query, answer.rcode);
    msg.flags.aa = true;
    msg.answers = answer.answers;
    msg.additionals = answer.additionals;
    if (answer.negative) msg.authorities = [zoneSoa(this.opts.zone)];
    return msg;
  }
}

/** An empty reply to `query` with `rcode`, echoing its ID, question and RD flag. */
function reply(query: DnsMessage, rcode: number): DnsMessage {
  return {
    id: query.id,
    flags: { ...emptyFlags(), qr: true, opcode: query.flags.opcode, rd: query.flags.rd, ra: true, cd: query.flags.cd, rcode },
    questions: query.questions.slice(0, 1),
    answers: [],
    authorities: [],
    additionals: [],
  };
}
