// Set-up shared by the injection tests: a control plane on the embedded store serving the webhook on
// 127.0.0.1 port 0, HTTPS requests to it verified with the mesh's trust bundle for the Service's DNS
// name (as the API server verifies them with the webhook's caBundle), the fixture review, and the
// answer's patch applied with an independent RFC 6902 implementation (fast-json-patch).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import jsonPatch from 'fast-json-patch';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { WebhookOptions } from '../../../control-plane/src/control-plane.js';
import { TestApi } from '../../support/api-harness.js';
import { REPO_ROOT } from '../../support/repo-root.js';

/** The name the API server sends as SNI and checks in the certificate: deploy/base's Service. */
export const SERVICE_DNS_NAME = 'sluice-control-plane.sluice-system.svc';
const REQUEST_TIMEOUT_MS = 10_000;

export interface Webhook {
  readonly api: TestApi;
  readonly port: number;
  /** The mesh's roots: what goes into the webhook configuration's caBundle. */
  readonly bundlePem: string;
  stop(): Promise<void>;
}

/** `certificateTtlSeconds`: the workload certificate lifetime, so that a test sees renewals. */
export async function startWebhook(options: Partial<WebhookOptions> = {}, certificateTtlSeconds?: number): Promise<Webhook> {
  const api = await TestApi.start({ kind: 'embedded' }, {
    ...(certificateTtlSeconds === undefined ? {} : { identity: { workloadCertTtlSeconds: certificateTtlSeconds } }),
    webhook: { listen: { host: '127.0.0.1', port: 0 }, dnsNames: [SERVICE_DNS_NAME, 'sluice-control-plane'], ...options },
  });
  const address = api.controlPlane.webhookListenAddress;
  if (address === undefined) throw new Error('the control plane serves no webhook');
  const bundle = await api.get('/v1/trust-bundle');
  return { api, port: address.port, bundlePem: bundle.body.pem as string, stop: () => api.stop() };
}

export interface Answer {
  readonly status: number;
  readonly body: any;
}

/** POSTs `body` to the webhook as the API server would: HTTPS, verified with the bundle for `servername`. */
export function post(webhook: Webhook, body: string | Buffer, options: { path?: string; method?: string; servername?: string; chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: webhook.port,
      path: options.path ?? '/inject?timeout=10s',
      method: options.method ?? 'POST',
      ca: webhook.bundlePem,
      servername: options.servername ?? SERVICE_DNS_NAME,
      // chunked: no Content-Length, so the limit must be found while reading.
      headers: { 'content-type': 'application/json', ...(options.chunked === true ? {} : { 'content-length': Buffer.byteLength(body) }) },
      timeout: REQUEST_TIMEOUT_MS,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The fixture review (a ReplicaSet's web pod in namespace shop), changed by `edit`. */
export function podReview(edit: (pod: any, review: any) => void = () => undefined): any {
  const review = JSON.parse(readFileSync(join(REPO_ROOT, 'test/injection/fixtures/pod-create-review.json'), 'utf8'));
  edit(review.request.object, review);
  return review;
}

/** POSTs `review` and checks the answer is a 200 AdmissionReview for its uid. */
export async function review(webhook: Webhook, sent: any): Promise<any> {
  const answer = await post(webhook, JSON.stringify(sent));
  if (answer.status !== 200) throw new Error(`the webhook answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  const out = answer.body;
  if (out.apiVersion !== 'admission.k8s.io/v1' || out.kind !== 'AdmissionReview' || out.response?.uid !== sent.request.uid) {
    throw new Error(`not the AdmissionReview answer for uid ${sent.request.uid}: ${JSON.stringify(out)}`);
  }
  return out.response;
}

/** The pod as the API server stores it after applying the response's patch (the pod unchanged without one). */
export function patchedPod(sent: any, response: any): IPod {
  const pod = structuredClone(sent.request.object);
  if (response.patch === undefined) return pod;
  if (response.patchType !== 'JSONPatch') throw new Error(`patchType ${response.patchType}`);
  const operations = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8'));
  // validateOperation: each operation must be valid RFC 6902 against the document as it stands.
  return jsonPatch.applyPatch(pod, operations, true, true).newDocument as IPod;
}
