import { CLIError } from "./errors";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration such as "90s", "30m", "1h", "2h30m" or "7d" into seconds.
 * @example parseDuration("1h30m") // 5400
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (!/^(\d+[smhd])+$/.test(s)) throw new CLIError(`invalid duration ${JSON.stringify(text)}: use a number with a unit, like 90s, 30m, 1h or 7d`);
  let seconds = 0;
  for (const [, n, unit] of s.matchAll(/(\d+)([smhd])/g)) seconds += Number(n) * UNITS[unit];
  if (seconds <= 0) throw new CLIError(`invalid duration ${JSON.stringify(text)}: must be longer than zero`);
  return seconds;
}
