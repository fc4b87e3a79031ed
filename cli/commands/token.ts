import { defineCommand } from "citty";

/** `flotilla token`: bootstrap tokens that let new machines join as nodes. */
export default defineCommand({
  meta: { name: "token", description: "Create, list and delete bootstrap tokens for joining nodes" },
  subCommands: {
    create: () => import("./token-create").then((m) => m.default),
    list: () => import("./token-list").then((m) => m.default),
    delete: () => import("./token-delete").then((m) => m.default),
  },
});
