// One AdmissionReview of a pod, answered: the sidecar as a JSON Patch, no patch for a pod the policy
// skips, or a refusal. The webhook is registered with failurePolicy Fail (as Istio's injector): a pod
// meant for the mesh that started without its sidecar would talk, and be reached, around the mesh's
// mutual TLS and policies unnoticed, so anything that goes wrong refuses the pod with the reason
// rather than admitting it unchanged.
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { Logger } from 'pino';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import { admissionReview, parsePodAdmission, type AdmissionResponse, type AdmissionReview } from './admission-review.js';
import { injectSidecar } from './injected-pod.js';
import type { InjectionOptions } from './injection-options.js';
import { skipReason } from './injection-policy.js';
import { jsonPatch } from './json-patch.js';

/**
 * The review to answer with for `body`. Throws SLUICE_BAD_REQUEST when the body is not a review of a
 * pod (answered 400: the API server then applies the failure policy, naming the webhook).
 */
export function answerPodReview(body: Buffer, options: InjectionOptions, log: Logger): AdmissionReview<'response'> {
  const { request, pod } = parsePodAdmission(body);
  const uid = request.uid;
  const where = { uid, namespace: request.namespace, pod: pod.metadata?.name ?? pod.metadata?.generateName };
  if (request.operation !== 'CREATE') return admissionReview({ uid, allowed: true });
  const skip = skipReason(pod);
  if (skip !== undefined) {
    log.debug({ ...where, reason: skip }, 'sidecar injection: pod left as it is');
    return admissionReview({ uid, allowed: true });
  }
  let patch: string;
  try {
    patch = Buffer.from(JSON.stringify(podPatch(pod, options))).toString('base64');
  } catch (err) {
    log.warn({ ...where, err }, 'sidecar injection: pod refused');
    return admissionReview({ uid, allowed: false, status: refusalStatus(err) });
  }
  log.info(where, 'sidecar injection: sidecar added');
  return admissionReview({ uid, allowed: true, patchType: 'JSONPatch', patch });
}

/** What the pod's creator is told: 400 for a pod the injection refuses (its annotations, its volumes), 500 otherwise. */
function refusalStatus(err: unknown): NonNullable<AdmissionResponse['status']> {
  const refusal = err instanceof ControlPlaneError && err.code === ErrorCode.Validation;
  const message = refusal ? (err as Error).message : `the sidecar could not be injected: ${(err as Error).message}`;
  return { status: 'Failure', code: refusal ? 400 : 500, reason: refusal ? 'BadRequest' : 'InternalError', message: `sluice sidecar injection: ${message}` };
}

/** The patch from the pod as sent to the pod with its sidecar, both as plain JSON. */
function podPatch(pod: IPod, options: InjectionOptions): ReturnType<typeof jsonPatch> {
  const before = JSON.parse(JSON.stringify(pod)) as unknown;
  const after = JSON.parse(JSON.stringify(injectSidecar(pod, options))) as unknown;
  return jsonPatch(before, after);
}
