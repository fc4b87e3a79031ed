/**
 * The per-kind hooks the write path runs: fill defaults, then validate semantics.
 */
import type { StatusCause } from "../../api/status";

/** Defaulting and semantic validation for one kind. */
export interface KindBehaviour {
  /** Fills defaults in place (the object is a fresh copy owned by the caller). */
  defaults?(obj: Record<string, unknown>): void;
  /**
   * Semantic validation of a create (old undefined) or update; returns causes in the
   * apiserver's shapes (reason, message without the field, field path).
   */
  validate?(obj: Record<string, unknown>, old?: Record<string, unknown>): StatusCause[];
}
