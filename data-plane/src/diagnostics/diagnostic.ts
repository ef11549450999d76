// What GET /debug/profile and GET /debug/heap ask of one proxy process, and what that process
// answers: a file it wrote (the admin server streams it, then removes it) or an error with the HTTP
// status to answer. A file rather than the data itself: a heap snapshot can be hundreds of megabytes,
// too much to hold twice in memory or to pass over a worker's IPC channel in one message.
export type Diagnostic = { readonly kind: 'cpu-profile'; readonly seconds: number } | { readonly kind: 'heap-snapshot' };

export type DiagnosticResult =
  | { readonly ok: true; readonly file: string; readonly pid: number }
  | { readonly ok: false; readonly status: number; readonly error: string };

/** GET /debug/profile?seconds=N: N is a whole number in this range. */
export const PROFILE_SECONDS = { default: 10, min: 1, max: 60 } as const;

/** Beyond a profile's own seconds: how long a worker may take to stop the profiler and write the file. */
const PROFILE_MARGIN_MS = 10_000;
/** A heap snapshot pauses its process for a time that grows with the heap: 1–2 s for a fresh worker's 16 MB. */
const HEAP_SNAPSHOT_TIMEOUT_MS = 120_000;

/** How long the primary waits for a worker's answer before it answers 504. */
export function answerTimeoutMs(diagnostic: Diagnostic): number {
  return diagnostic.kind === 'cpu-profile' ? diagnostic.seconds * 1000 + PROFILE_MARGIN_MS : HEAP_SNAPSHOT_TIMEOUT_MS;
}

/** What an answer calls the diagnostic, e.g. "a 10 s CPU profile". */
export function describeDiagnostic(diagnostic: Diagnostic): string {
  return diagnostic.kind === 'cpu-profile' ? `a ${diagnostic.seconds} s CPU profile` : 'a heap snapshot';
}
