/**
 * Go's `time.Duration` text form ("1h2m3.5s", "1.5ms", "0s"): the JSON form of
 * meta.v1.Duration, which travels as int64 nanoseconds in protobuf.
 */

const NS_PER_US = 1_000n;
const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

/** `whole.frac` with the fraction's trailing zeros (and a bare dot) removed. */
function withFraction(value: bigint, unit: bigint, digits: number): string {
  const whole = value / unit;
  const frac = (value % unit).toString().padStart(digits, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/**
 * Formats nanoseconds the way Go prints a Duration.
 * @example formatGoDuration(90_000_000_000n) // "1m30s"
 * @example formatGoDuration(1_500_000n) // "1.5ms"
 */
export function formatGoDuration(nanos: bigint): string {
  if (nanos === 0n) return "0s";
  const sign = nanos < 0n ? "-" : "";
  const u = nanos < 0n ? -nanos : nanos;
  // Below one second Go switches to the largest unit that keeps a non-zero whole part.
  if (u < NS_PER_US) return `${sign}${u}ns`;
  if (u < NS_PER_MS) return `${sign}${withFraction(u, NS_PER_US, 3)}\u00b5s`;
  if (u < NS_PER_S) return `${sign}${withFraction(u, NS_PER_MS, 6)}ms`;
  const hours = u / (3600n * NS_PER_S);
  const minutes = (u / (60n * NS_PER_S)) % 60n;
  const seconds = `${withFraction(u % (60n * NS_PER_S), NS_PER_S, 9)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
