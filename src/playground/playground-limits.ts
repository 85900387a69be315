/**
 * How long one compile-and-map may take before its thread is ended. The default mapping takes
 * a few milliseconds; two seconds is far beyond any honest edit, and short enough that a
 * runaway (a pathological regex, say) never holds the thread for long.
 */
export const PLAYGROUND_TIMEOUT_MS = 2000;

/** The edited files and the input together, per run: a large mapping set and a few hundred messages fit well within. */
export const MAX_RUN_BYTES = 1 << 20;
