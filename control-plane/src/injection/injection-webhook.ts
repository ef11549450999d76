// The mutating admission webhook's HTTPS server (--webhook-listen): POST /inject answers the API
// server's AdmissionReviews of pods. Its own port, not the admin API's: the API server presents no
// admin token, and the port's certificate (from the mesh CA, naming the Service's DNS names) is the
// control plane's own, swapped in at each renewal without a restart.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { WorkloadIdentity } from '../../../data-plane/src/index.js';
import { ListenError } from '../../../proto/src/model/listen-error.js';
import { formatListenAddress, type ListenAddress } from '../api/api-server.js';
import { readRequestBody } from '../api/request-body.js';
import { ControlPlaneError, ErrorCode } from '../errors.js';
import type { ControlPlaneCertificate } from '../identity/control-plane-certificate.js';
import type { ControlPlaneModule } from '../module.js';
import type { InjectionOptions } from './injection-options.js';
import { answerPodReview } from './injection-review.js';

/**
 * The API server sends at most 3 MiB in one request (its own body limit), and a pod review carries
 * one pod: a larger body is not a review.
 */
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Well inside the webhook configuration's timeoutSeconds (10): a stalled client is dropped first. */
const REQUEST_TIMEOUT_MS = 8_000;
const HEADERS_TIMEOUT_MS = 5_000;
export const INJECT_PATH = '/inject';

export interface InjectionWebhookOptions {
  readonly listen: ListenAddress;
  readonly injection: InjectionOptions;
  /** The certificate the port serves; it must hold one before start() (IdentityModule obtains it first). */
  readonly certificate: ControlPlaneCertificate;
  readonly log: Logger;
  readonly maxBodyBytes?: number;
}

export class InjectionWebhook implements ControlPlaneModule {
  private server: Server | undefined;
  private stopFollowing: (() => void) | undefined;
  private bound: ListenAddress | undefined;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: InjectionWebhookOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
  }

  /** The bound address once started (port 0 resolved). */
  get address(): ListenAddress | undefined {
    return this.bound;
  }

  async start(): Promise<void> {
    const first = this.options.certificate.current;
    if (first === undefined) throw new ControlPlaneError(ErrorCode.Internal, 'the webhook port needs the control plane\'s certificate, which has not been issued');
    const server = (this.server = createServer({ ...tlsContext(first), requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS }, (req, res) => void this.handle(req, res)));
    this.stopFollowing = this.options.certificate.onIssued((identity) => server.setSecureContext(tlsContext(identity)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: unknown) => {
      throw new ListenError('--webhook-listen', formatListenAddress(this.options.listen), err);
    });
    const a = server.address() as AddressInfo;
    this.bound = { host: a.address, port: a.port };
    this.options.log.info({ webhook: `https://${formatListenAddress(this.bound)}${INJECT_PATH}` }, 'sidecar injection webhook listening');
  }

  async stop(): Promise<void> {
    this.stopFollowing?.();
    const server = this.server;
    this.server = undefined;
    if (server === undefined || !server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '').split('?')[0];
      if (path !== INJECT_PATH) throw new ControlPlaneError(ErrorCode.NotFound, `no route ${path}: the webhook serves POST ${INJECT_PATH} only`);
      if (req.method !== 'POST') throw new ControlPlaneError(ErrorCode.MethodNotAllowed, `${INJECT_PATH} takes POST only`);
      const body = await readRequestBody(req, this.maxBodyBytes, 'of the injection webhook');
      send(res, 200, answerPodReview(body, this.options.injection, this.options.log));
    } catch (err) {
      const e = err instanceof ControlPlaneError ? err : new ControlPlaneError(ErrorCode.Internal, (err as Error).message, { cause: err });
      if (e.httpStatus >= 500) this.options.log.error({ err }, 'sidecar injection webhook: request failed');
      // A body left unread (a 413 decided from Content-Length) is not drained: the connection closes.
      if (!req.complete) res.setHeader('connection', 'close');
      send(res, e.httpStatus, e.toJSON());
    }
  }
}

function tlsContext(identity: WorkloadIdentity): { cert: string; key: string } {
  return { cert: identity.certChainPem, key: identity.keyPem };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
