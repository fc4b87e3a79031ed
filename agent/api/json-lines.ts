import { StringDecoder } from "node:string_decoder";

/**
 * Cuts a watch stream (one JSON document per line) into parsed documents. Chunks may split a
 * line, or a multi-byte character, anywhere.
 *
 * @example
 * const lines = new JsonLines();
 * res.on("data", (chunk) => lines.push(chunk).forEach(handle));
 */
export class JsonLines {
  private readonly decoder = new StringDecoder("utf8");
  private buffered = "";

  /** The documents completed by this chunk. Throws on a line that is not JSON. */
  push(chunk: Buffer | string): unknown[] {
    this.buffered += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    const out: unknown[] = [];
    let nl: number;
    while ((nl = this.buffered.indexOf("\n")) >= 0) {
      const line = this.buffered.slice(0, nl).trim();
      this.buffered = this.buffered.slice(nl + 1);
      if (line) out.push(JSON.parse(line));
    }
    return out;
  }

  /** The last document when the stream ended without a final newline. */
  end(): unknown[] {
    const rest = (this.buffered + this.decoder.end()).trim();
    this.buffered = "";
    return rest ? [JSON.parse(rest)] : [];
  }
}
