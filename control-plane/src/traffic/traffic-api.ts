// GET /v1/traffic (viewer): the mesh's traffic over the last complete window and the last five minutes,
// answered by any replica for every proxy of every replica (traffic-service.ts).
import type { ApiRoute } from '../api/api-route.js';
import type { TrafficService } from './traffic-service.js';

export function trafficRoutes(traffic: TrafficService): ApiRoute[] {
  return [{ method: 'GET', path: '/v1/traffic', role: 'viewer', handler: () => ({ status: 200, body: traffic.report() }) }];
}
