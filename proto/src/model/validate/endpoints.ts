// Semantic checks of one Endpoints resource (its cluster's existence is checked in references.ts).
import type { Endpoints } from '../../../gen/sluice/v1/endpoints_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { validateEndpointList } from './endpoint.js';

export function validateEndpoints(endpoints: Endpoints, path: string, errors: FieldErrors): void {
  validateEndpointList(endpoints.endpoints, fieldPath(path, 'endpoints'), errors);
}
