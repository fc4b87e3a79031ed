// The service CIDR setting, merged into the Worker's environment.
interface Env {
  /** The range cluster IPs come from (default 10.96.0.0/12). */
  SERVICE_CIDR?: string;
}

declare namespace Cloudflare {
  interface Env {
    SERVICE_CIDR?: string;
  }
}
