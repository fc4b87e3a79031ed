import { createApp } from "./api/app";

export { ClusterStore } from "./store/cluster-store";
export { NodeRelay } from "./relay/node-relay";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
