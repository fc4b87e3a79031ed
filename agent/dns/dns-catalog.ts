/**
 * The part of the agent's Service catalog that cluster DNS reads. It is a structural subset of
 * the catalog's own types, so the catalog is passed in as it is and DNS tests can use a plain
 * object.
 */

export interface DnsServicePort {
  name?: string;
  port: number;
  protocol: string;
}

export interface DnsService {
  namespace: string;
  name: string;
  type: string;
  clusterIPs: string[];
  headless: boolean;
  externalName?: string;
  ports: DnsServicePort[];
}

export interface DnsEndpoint {
  addresses: string[];
  ready: boolean;
  hostname?: string;
  ports: { name?: string; port: number; protocol: string }[];
}

export interface DnsCatalog {
  services(): DnsService[];
  service(namespace: string, name: string): DnsService | undefined;
  endpoints(namespace: string, name: string): DnsEndpoint[];
  /** False until the first list from the API arrived; cluster names then answer SERVFAIL, never a wrong NXDOMAIN. */
  readonly synced?: boolean;
}
