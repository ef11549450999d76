// The control plane's pino logger. Private keys and tokens are redacted wherever a caller puts them;
// the API also never logs request bodies or resources in the first place. Errors (the `err` key) are
// logged with message, code and cause chain (error-serializer.ts).
import { pino, type DestinationStream, type Logger } from 'pino';
import { serializeError } from './error-serializer.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Paths pino replaces with `[redacted]`, at the top level and up to three levels down. */
export const REDACT_PATHS: readonly string[] = ['privateKey', 'token', 'authorization', 'keyPem', 'sealedKeyPem', 'signingKey']
  .flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export function createLogger(options: { level?: LogLevel; destination?: DestinationStream; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'sluice-control-plane',
      level: options.level ?? 'info',
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    options.destination ?? pino.destination(1),
  );
}
