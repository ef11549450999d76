// The load one proxy gets in the scenarios (zero-drop, chaos): keep-alive HTTP/1.1 to the web and pool
// clusters (some answers held 400 ms, so requests are in flight whatever happens), HTTPS, HTTP/2 over
// cleartext and TLS, gRPC streams and unary calls, WebSocket sessions and large uploads. Each lane's
// name ends with the proxy's node id; rates are per proxy, times `scale`.
import { runGrpcLane } from './grpc-load.js';
import { runH2Lane } from './h2-load.js';
import { runHttp1Lane, type HttpTarget } from './http1-load.js';
import type { LaneCounters } from './lane-counters.js';
import { HOSTS, LISTEN } from './scenario-resources.js';
import { runUploadLane } from './upload-load.js';
import { runWebSocketLane } from './websocket-load.js';

export interface ProxyUnderLoad {
  readonly nodeId: string;
  /** The proxy's port on LISTEN.main and LISTEN.secure (each proxy binds its own). */
  readonly mainPort: () => number | undefined;
  readonly securePort: () => number | undefined;
}

export interface ProxyLoadOptions {
  /** Multiplies every rate (1: the modest rates of the `npm test` zero-drop variant). */
  readonly scale: number;
  readonly running: () => boolean;
  /** The CA the HTTPS listener's certificate is signed by. */
  readonly caPem: string;
  /** Makes (and keeps) the counters of a lane. */
  readonly lane: (name: string) => LaneCounters;
}

/** Starts every lane against `proxy`; each promise resolves when its lane has stopped. */
export function runProxyLoad(proxy: ProxyUnderLoad, options: ProxyLoadOptions): Promise<void>[] {
  const { lane, running } = options;
  const r = (x: number): number => x * options.scale;
  const id = proxy.nodeId;
  const main = (host: string, path: string, extra: Partial<HttpTarget> = {}): HttpTarget => ({ address: LISTEN.main, port: proxy.mainPort, hostHeader: host, path, ...extra });
  const secure: HttpTarget = { address: LISTEN.secure, port: proxy.securePort, hostHeader: HOSTS.web, path: '/s', tls: { ca: options.caPem, servername: HOSTS.web } };
  return [
    runHttp1Lane(lane(`http/1.1 main ${id}`), main(HOSTS.web, '/w'), { perSecond: r(60), concurrency: 2, running }),
    runHttp1Lane(lane(`http/1.1 pool ${id}`), main(HOSTS.pool, '/p'), { perSecond: r(30), concurrency: 2, running }),
    runHttp1Lane(lane(`http/1.1 slow ${id}`), main(HOSTS.pool, '/slow', { headers: { 'x-delay-ms': '400' } }), { perSecond: r(5), concurrency: 3, running }),
    runHttp1Lane(lane(`https/1.1 ${id}`), secure, { perSecond: r(30), concurrency: 2, running }),
    runH2Lane(lane(`h2c ${id}`), main(HOSTS.web, '/h2'), { perSecond: r(30), concurrency: 2, running }),
    runH2Lane(lane(`h2 tls ${id}`), { ...secure, path: '/h2s' }, { perSecond: r(20), concurrency: 2, running }),
    runGrpcLane(lane(`grpc bidi ${id}`), lane(`grpc unary ${id}`), { address: LISTEN.main, port: proxy.mainPort, authority: HOSTS.grpc }, { streams: 2, sessionMs: 2000, unaryPerSecond: r(10), running }),
    runWebSocketLane(lane(`websocket ${id}`), { address: LISTEN.main, port: proxy.mainPort, hostHeader: HOSTS.ws }, { sessions: 2, sessionMs: 2500, running }),
    runUploadLane(lane(`upload ${id}`), main(HOSTS.pool, '/upload'), { perSecond: r(0.5), running }),
  ];
}
