import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { generateSigningKey } from "./src/auth/jwt.ts";

// A fresh token-signing key for each run of the workerd tests.
const signingKey = JSON.stringify(await generateSigningKey());

// Four projects: pure unit tests in Node, store/API tests inside workerd, the node agent against a
// real containerd, and end-to-end tests that drive the real kubectl against the server `npm start` runs.
export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" } },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            main: "./src/index.ts",
            // sha256("test-admin-token"): the tests' admin credential.
            miniflare: { bindings: { SIGNING_KEY: signingKey, ADMIN_TOKEN_SHA256: "17d6bfe05d1b1fb7bc499f8e3f639c7b3eda4c40f321eef8887a0c04c89a99c5" } },
          }),
        ],
        test: { name: "worker", include: ["test/worker/**/*.test.ts"], testTimeout: 60_000 },
      },
      {
        // The node agent against the real containerd, CNI plugins and packet filter (needs root).
        test: {
          name: "agent",
          include: ["test/agent/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
