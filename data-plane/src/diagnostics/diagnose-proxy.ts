// Which process of a proxy a /debug request diagnoses. `?worker=K` names the K-th serving worker
// (0-based, in the order they started), `?worker=primary` the primary (discovery, health checks, the
// admin server). Without it: the process that serves traffic, the primary itself with --workers 1,
// else worker 0.
import { answerTimeoutMs, type Diagnostic, type DiagnosticResult } from './diagnostic.js';
import { runDiagnostic } from './run-diagnostic.js';

export type ProcessChoice = 'default' | 'primary' | number;

/** The worker processes, as the primary reaches them (WorkerPool). */
export interface WorkerDiagnostics {
  /** Runs `diagnostic` in serving worker `index`; answers 504 when the worker is silent for `timeoutMs`. */
  diagnose(index: number, diagnostic: Diagnostic, timeoutMs: number): Promise<DiagnosticResult>;
}

export type DiagnoseProxy = (diagnostic: Diagnostic, choice: ProcessChoice) => Promise<DiagnosticResult>;

/** `workers`: undefined with --workers 1. */
export function diagnoseProxy(workers: WorkerDiagnostics | undefined): DiagnoseProxy {
  return async (diagnostic, choice) => {
    // In this process the diagnostic's own timer ends a profile; a heap snapshot runs to its end
    // synchronously, so there is nothing a timeout could interrupt.
    if (choice === 'primary' || (choice === 'default' && workers === undefined)) return runDiagnostic(diagnostic);
    if (workers === undefined) return { ok: false, status: 404, error: `no worker ${choice}: this proxy runs with --workers 1 and serves traffic in its primary process; leave out ?worker` };
    return workers.diagnose(choice === 'default' ? 0 : choice, diagnostic, answerTimeoutMs(diagnostic));
  };
}
