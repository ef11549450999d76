// Named admin API tokens with each role, for tests of access control (the static TEST_TOKEN stays the
// `admin` token beside them).
import type { ApiTokenEntry } from '../../control-plane/src/api/api-tokens.js';

export const VIEWER = { token: 'viewer-token-5b1d9e2c', name: 'vera-viewer', role: 'viewer' } as const satisfies ApiTokenEntry;
export const EDITOR = { token: 'editor-token-77c0a4f1', name: 'ci-bot', role: 'editor' } as const satisfies ApiTokenEntry;
export const ADMIN = { token: 'admin-token-3e9f0b6a', name: 'ada-admin', role: 'admin' } as const satisfies ApiTokenEntry;

export const ROLE_TOKENS: readonly ApiTokenEntry[] = [VIEWER, EDITOR, ADMIN];
