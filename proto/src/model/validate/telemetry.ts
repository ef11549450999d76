// Semantic checks of one Telemetry: its selector, and a sampling percentage between 0 and 100.
import type { Telemetry } from '../../../gen/sluice/v1/telemetry_pb.js';
import { fieldPath, type FieldErrors } from '../field-error.js';
import { validateWorkloadSelector } from './workload-selector.js';

export function validateTelemetry(telemetry: Telemetry, path: string, errors: FieldErrors): void {
  validateWorkloadSelector(telemetry.selector, path, errors);
  const percentage = telemetry.tracing?.samplingPercentage;
  if (percentage !== undefined && !(percentage >= 0 && percentage <= 100)) {
    errors.add(fieldPath(fieldPath(path, 'tracing'), 'samplingPercentage'), `must be between 0 and 100 (a percentage of new traces), got ${percentage}`);
  }
}
