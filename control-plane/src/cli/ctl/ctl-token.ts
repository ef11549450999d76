// `sluice ctl token create|list|revoke`: bootstrap tokens through the admin API (POST, GET /v1/tokens,
// DELETE /v1/tokens/ID). `create` prints the token alone, so it can go straight into a file.
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import type { ApiClient } from './api-client.js';
import { formatTable } from './text-table.js';

export interface TokenFlags {
  readonly service?: string;
  readonly 'ttl-seconds'?: string;
  readonly output?: string;
}

export async function runCtlToken(client: ApiClient, args: readonly string[], flags: TokenFlags, only: (allowed: string[]) => void): Promise<string> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      only(['service', 'ttl-seconds', 'output']);
      if (rest.length > 0 || flags.service === undefined) throw new UsageError('usage: sluice ctl token create --service NAME [--ttl-seconds N] [-o json]');
      if (flags.output !== undefined && flags.output !== 'json') throw new UsageError('-o of `ctl token create` must be json');
      const ttl = flags['ttl-seconds'];
      if (ttl !== undefined && !/^[1-9]\d*$/.test(ttl)) throw new UsageError(`--ttl-seconds must be a positive integer, got ${JSON.stringify(ttl)}`);
      const created = await client.call('POST', '/v1/tokens', {
        body: JSON.stringify({ service: flags.service, ...(ttl === undefined ? {} : { ttlSeconds: Number(ttl) }) }),
        contentType: 'application/json',
      });
      return flags.output === 'json' ? JSON.stringify(created, null, 2) : String(created.token);
    }
    case 'list': {
      only([]);
      if (rest.length > 0) throw new UsageError('usage: sluice ctl token list');
      const { tokens } = await client.call('GET', '/v1/tokens') as { tokens: Array<{ id: string; identity: string; createdAt: string; expiresAt?: string }> };
      const rows = [['ID', 'IDENTITY', 'CREATED', 'EXPIRES'], ...tokens.map((t) => [t.id, t.identity, t.createdAt, t.expiresAt ?? 'never'])];
      return formatTable(rows);
    }
    case 'revoke': {
      only([]);
      const [id, ...more] = rest;
      if (id === undefined || more.length > 0) throw new UsageError('usage: sluice ctl token revoke ID');
      await client.call('DELETE', `/v1/tokens/${encodeURIComponent(id)}`);
      return `token ${id} revoked`;
    }
    default:
      throw new UsageError('usage: sluice ctl token create|list|revoke ...');
  }
}
