import { createApp } from "./api/app";

export { ClusterStore } from "./store/cluster-store";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
