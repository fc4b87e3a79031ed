import { describe, expect, it } from "vitest";
import { isLocalRegistry, normalizeImageRef } from "../../agent/runtime/image-ref";

const DIGEST = "sha256:" + "ab".repeat(32);

describe("normalizeImageRef", () => {
  it.each([
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:local", "docker.io/library/busybox:local"],
    ["library/busybox:1.36", "docker.io/library/busybox:1.36"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/busybox", "docker.io/library/busybox:latest"],
    ["bitnami/nginx", "docker.io/bitnami/nginx:latest"],
    ["ghcr.io/owner/app:v1", "ghcr.io/owner/app:v1"],
    ["127.0.0.1:5000/x/y", "127.0.0.1:5000/x/y:latest"],
    ["localhost:5000/x:2", "localhost:5000/x:2"],
    ["localhost/x", "localhost/x:latest"],
    ["registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"],
    [`nginx@${DIGEST}`, `docker.io/library/nginx@${DIGEST}`],
    [`nginx:1.27@${DIGEST}`, `docker.io/library/nginx:1.27@${DIGEST}`],
    [`127.0.0.1:5000/app@${DIGEST}`, `127.0.0.1:5000/app@${DIGEST}`],
  ])("%s → %s", (ref, want) => expect(normalizeImageRef(ref)).toBe(want));

  it("is idempotent", () => {
    for (const ref of ["busybox", "127.0.0.1:5000/x/y", `nginx@${DIGEST}`]) {
      const once = normalizeImageRef(ref);
      expect(normalizeImageRef(once)).toBe(once);
    }
  });

  it("rejects an empty reference or one with spaces", () => {
    expect(() => normalizeImageRef("")).toThrow(/invalid image reference/);
    expect(() => normalizeImageRef("busy box")).toThrow(/invalid image reference/);
  });
});

describe("isLocalRegistry", () => {
  it.each([
    ["127.0.0.1:5000/x/y:latest", true],
    ["localhost:5000/x:1", true],
    ["localhost/x:latest", true],
    ["docker.io/library/busybox:latest", false],
    ["10.0.0.1:5000/x:latest", false],
  ])("%s → %s", (ref, want) => expect(isLocalRegistry(ref)).toBe(want));
});
