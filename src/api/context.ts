import type { Context } from "hono";
import type { AuthVariables } from "./auth";

/** The Hono context every API handler receives. */
export type ApiContext = Context<{ Bindings: Env; Variables: AuthVariables }>;
