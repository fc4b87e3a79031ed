#!/usr/bin/env -S node --max-semi-space-size=2
// The `flotilla` command. The TypeScript sources are bundled once per change with esbuild and the
// bundle is run by plain Node: a node agent runs for weeks, and a bundle starts faster and needs
// far less memory than a TypeScript loader hooked into every import; the small young generation
// (the flag above) keeps a long-running agent's memory low through bursts of work.
import { copyFileSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "node_modules", ".cache", "flotilla");
const bundle = join(outDir, "cli.mjs");

/** The newest modification time among the sources the command is built from. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ["cli", "agent", "src"]) walk(join(root, dir));
  return newest;
}

function bundleTime() {
  try {
    return statSync(bundle).mtimeMs;
  } catch {
    return 0;
  }
}

if (bundleTime() < newestSource()) {
  const { build } = await import("esbuild");
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(root, "cli/main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: bundle,
    write: false,
    logLevel: "error",
  }).then((r) => {
    // Written aside and renamed, so a second command starting meanwhile never reads half a file.
    const tmp = `${bundle}.${process.pid}.tmp`;
    writeFileSync(tmp, r.outputFiles[0].contents);
    renameSync(tmp, bundle);
  });
  // The log driver containerd runs is a file the bundle finds next to itself.
  const logger = join(outDir, `cri-logger.pl.${process.pid}.tmp`);
  copyFileSync(join(root, "agent/logs/cri-logger.pl"), logger);
  renameSync(logger, join(outDir, "cri-logger.pl"));
}
await import(pathToFileURL(bundle).href);
