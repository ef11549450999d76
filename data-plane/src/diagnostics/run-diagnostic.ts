// Runs a diagnostic in this process (the primary, or a worker asked over IPC) into a fresh private
// temporary folder, one at a time: the admin server lets one /debug request through at a time, but a
// worker it stopped waiting for (504) may still be busy when the next request reaches it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeDiagnostic, type Diagnostic, type DiagnosticResult } from './diagnostic.js';

let running: Diagnostic | undefined;

export async function runDiagnostic(diagnostic: Diagnostic): Promise<DiagnosticResult> {
  if (running !== undefined) return { ok: false, status: 409, error: `process ${process.pid} is still taking ${describeDiagnostic(running)}: one diagnostic at a time, try again when it ends` };
  running = diagnostic;
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), 'sluice-diagnostic-'));
    const file = join(dir, diagnostic.kind === 'cpu-profile' ? 'profile.cpuprofile' : 'heap.heapsnapshot');
    // Loaded on demand: node:inspector costs every serving process memory for a rare request.
    if (diagnostic.kind === 'cpu-profile') await (await import('./cpu-profile.js')).writeCpuProfile(diagnostic.seconds, file);
    else await (await import('./heap-snapshot.js')).writeHeapSnapshot(file);
    return { ok: true, file, pid: process.pid };
  } catch (err) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    return { ok: false, status: 500, error: `${describeDiagnostic(diagnostic)} failed in process ${process.pid}: ${(err as Error).message}` };
  } finally {
    running = undefined;
  }
}

/** Removes a diagnostic's file and its folder, once sent or when nobody waits for it any more. */
export async function discardDiagnosticFile(file: string): Promise<void> {
  await rm(dirname(file), { recursive: true, force: true });
}
