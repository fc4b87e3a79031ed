import { defineCommand, runMain } from "citty";

/** The `flotilla` command line. */
export const main = defineCommand({
  meta: { name: "flotilla", description: "Manage a Flotilla control plane" },
  subCommands: {
    user: () => import("./commands/user").then((m) => m.default),
    token: () => import("./commands/token").then((m) => m.default),
    join: () => import("./commands/join").then((m) => m.default),
  },
});

await runMain(main);
