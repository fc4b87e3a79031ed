import { fileURLToPath } from "node:url";

/** The log driver program, shipped next to this module. */
export const CRI_LOGGER_PATH = fileURLToPath(new URL("./cri-logger.pl", import.meta.url));

/**
 * The `--log-uri` that makes containerd's shim hand a task's stdout and stderr to our logger,
 * which appends them to `logPath` in the CRI log format (timestamp, stream, F/P tag, text).
 * The shim passes each query parameter to the logger as a "key value" argument pair.
 *
 * @example
 * criLogUri("/var/lib/flotilla/logs/uid/web/0.log");
 * // "binary:///…/agent/logs/cri-logger.pl?path=%2Fvar%2Flib%2Fflotilla%2Flogs%2Fuid%2Fweb%2F0.log"
 */
export function criLogUri(logPath: string, loggerPath = CRI_LOGGER_PATH): string {
  const program = loggerPath.split("/").map(encodeURIComponent).join("/");
  return `binary://${program}?path=${encodeURIComponent(logPath)}`;
}
