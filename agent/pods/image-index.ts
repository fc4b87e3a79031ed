import type { Clock } from "../../src/lib/clock";
import type { RuntimePort } from "./ports";

type Listing = { ref: string; digest: string; sizeBytes: number }[];
type ImageConfig = Awaited<ReturnType<RuntimePort["imageConfig"]>>;

/**
 * The images containerd holds, listed once for all pods that start at about the same time
 * (a burst of pods would otherwise run one `ctr images ls` per container, several times over).
 */
export class ImageIndex {
  private listing?: { at: number; images: Promise<Listing> };
  private readonly configs = new Map<string, Promise<ImageConfig>>();

  constructor(
    private readonly runtime: Pick<RuntimePort, "listImages" | "imageConfig">,
    private readonly clock: Clock,
    private readonly ttlMs = 2_000,
  ) {}

  private images(): Promise<Listing> {
    const now = this.clock.now();
    if (!this.listing || now - this.listing.at > this.ttlMs) {
      const images = this.runtime.listImages();
      this.listing = { at: now, images };
      images.catch(() => (this.listing = undefined));
    }
    return this.listing.images;
  }

  /** The image's digest, or undefined when containerd does not hold it. */
  async digest(ref: string): Promise<string | undefined> {
    return (await this.images()).find((i) => i.ref === ref)?.digest;
  }

  /** The image's entrypoint and cmd, read once per digest. */
  async config(ref: string): Promise<ImageConfig> {
    const key = `${ref}@${await this.digest(ref)}`;
    let c = this.configs.get(key);
    if (!c) {
      c = this.runtime.imageConfig(ref);
      this.configs.set(key, c);
      c.catch(() => this.configs.delete(key));
    }
    return c;
  }

  /** After a pull: the next question lists again. */
  invalidate(): void {
    this.listing = undefined;
  }
}
