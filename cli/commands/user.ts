import { defineCommand } from "citty";

/** `flotilla user`: static bearer-token users. */
export default defineCommand({
  meta: { name: "user", description: "Issue and revoke static user tokens" },
  subCommands: {
    create: () => import("./user-create").then((m) => m.default),
    revoke: () => import("./user-revoke").then((m) => m.default),
  },
});
