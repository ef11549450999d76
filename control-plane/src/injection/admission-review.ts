// The admission.k8s.io/v1 AdmissionReview the API server POSTs to a mutating webhook, and the one it
// expects back. No maintained package publishes this type (it is not in the API server's OpenAPI
// document, from which kubernetes-models is generated), so the request and response are declared here
// after k8s.io/api/admission/v1 (types.go), from kubernetes-models' own types for what they hold.
import type { IIoK8sApimachineryPkgApisMetaV1Status as Status } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';
import type { IUserInfo } from 'kubernetes-models/authentication.k8s.io/v1/UserInfo';
import type { IPod } from 'kubernetes-models/v1/Pod';
import { ControlPlaneError, ErrorCode } from '../errors.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export interface AdmissionRequest {
  /** Copied into the response: the API server matches the answer to its call by it. */
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource?: { readonly group: string; readonly version: string; readonly resource: string };
  readonly subResource?: string;
  /** Empty on a CREATE whose object has generateName only (a Deployment's pods). */
  readonly name?: string;
  /** The namespace of the object; a pod's own metadata.namespace may be empty on CREATE. */
  readonly namespace?: string;
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly userInfo?: IUserInfo;
  readonly object?: unknown;
  readonly oldObject?: unknown;
  readonly dryRun?: boolean;
}

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  /** Why the request is refused (allowed: false): shown to whoever created the pod. */
  readonly status?: Status;
  /** Base64 of the JSON Patch (RFC 6902) document. */
  readonly patch?: string;
  readonly patchType?: 'JSONPatch';
  /** Shown to the client as `Warning:` lines (kubectl prints them). */
  readonly warnings?: readonly string[];
}

export interface AdmissionReview<Body extends 'request' | 'response'> {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly request?: Body extends 'request' ? AdmissionRequest : never;
  readonly response?: Body extends 'response' ? AdmissionResponse : never;
}

/** A pod review: the request, and its object as a Pod. */
export interface PodAdmission {
  readonly request: AdmissionRequest;
  readonly pod: IPod;
}

/**
 * Reads a review of a pod from a request body. Anything else (not JSON, another apiVersion, no uid, no
 * pod) is SLUICE_BAD_REQUEST naming what is wrong: the API server only sends what its webhook
 * configuration asks for, so such a body comes from a misconfiguration or another client.
 */
export function parsePodAdmission(body: Buffer): PodAdmission {
  let review: unknown;
  try {
    review = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badReview(`the body is not JSON (${(err as Error).message})`);
  }
  if (!isObject(review)) throw badReview('the body is not a JSON object');
  if (review['apiVersion'] !== ADMISSION_API_VERSION || review['kind'] !== 'AdmissionReview') {
    throw badReview(`expected apiVersion ${ADMISSION_API_VERSION} and kind AdmissionReview (admissionReviewVersions: [v1]), got ${JSON.stringify(review['apiVersion'])} ${JSON.stringify(review['kind'])}`);
  }
  const request = review['request'];
  if (!isObject(request)) throw badReview('request is missing');
  if (typeof request['uid'] !== 'string' || request['uid'] === '') throw badReview('request.uid is missing');
  const kind = request['kind'];
  if (!isObject(kind) || kind['group'] !== '' || kind['version'] !== 'v1' || kind['kind'] !== 'Pod') {
    throw badReview(`request.kind must be the core v1 Pod (the webhook's rules select pods only), got ${JSON.stringify(kind)}`);
  }
  const pod = request['object'];
  if (!isObject(pod) || !isObject(pod['spec']) || !Array.isArray(pod['spec']['containers'])) {
    throw badReview('request.object is not a pod with spec.containers');
  }
  return { request: request as unknown as AdmissionRequest, pod: pod as unknown as IPod };
}

/** The review sent back for `uid`. */
export function admissionReview(response: AdmissionResponse): AdmissionReview<'response'> {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

function badReview(why: string): ControlPlaneError {
  return new ControlPlaneError(ErrorCode.BadRequest, `not an AdmissionReview of a pod: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
