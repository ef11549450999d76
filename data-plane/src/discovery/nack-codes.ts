// The codes a proxy puts in a NACK's error_detail.code (stable: the rollout API shows them).
export const NackCode = {
  /** A resource failed validation or points at something the proxy does not have. */
  InvalidResource: 'SLUICE_INVALID_RESOURCE',
  /** The response named a resource type this proxy does not know. */
  UnknownType: 'SLUICE_UNKNOWN_TYPE',
  /** The resources were valid but the proxy's apply callback failed. */
  ApplyFailed: 'SLUICE_APPLY_FAILED',
} as const;
export type NackCode = (typeof NackCode)[keyof typeof NackCode];
