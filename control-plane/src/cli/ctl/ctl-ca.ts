// `sluice ctl ca roots|bundle|add-root|use-root SERIAL|remove-root SERIAL`: the mesh CA's roots, the
// trust bundle as PEM (what proxies verify the discovery port with), and the three steps of a root
// rotation through the admin API (docs/identity.md, "Rotating the root").
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import { formatTable } from './text-table.js';
import type { ApiClient } from './api-client.js';

interface RootRow {
  readonly serial: string;
  readonly subject: string;
  readonly notAfter: string;
  readonly signing: boolean;
}

export async function runCtlCa(client: ApiClient, args: readonly string[]): Promise<string> {
  const [sub, serial, ...rest] = args;
  const one = (): string => {
    if (serial === undefined || rest.length > 0) throw new UsageError(`usage: sluice ctl ca ${sub} SERIAL`);
    return encodeURIComponent(serial);
  };
  const none = (): void => {
    if (serial !== undefined) throw new UsageError(`usage: sluice ctl ca ${sub}`);
  };
  switch (sub) {
    case 'roots':
      none();
      return table((await client.call('GET', '/v1/trust-bundle')).roots);
    case 'bundle':
      none();
      return ((await client.call('GET', '/v1/trust-bundle')).pem as string).trimEnd();
    case 'add-root':
      none();
      return table((await client.call('POST', '/v1/ca/roots')).roots);
    case 'use-root':
      return table((await client.call('POST', `/v1/ca/roots/${one()}/use`)).roots);
    case 'remove-root':
      return table((await client.call('DELETE', `/v1/ca/roots/${one()}`)).roots);
    default:
      throw new UsageError('usage: sluice ctl ca roots|bundle|add-root|use-root SERIAL|remove-root SERIAL');
  }
}

function table(roots: readonly RootRow[]): string {
  const rows = [['SERIAL', 'SIGNING', 'NOT AFTER', 'SUBJECT'], ...roots.map((r) => [r.serial, r.signing ? 'yes' : 'no', r.notAfter, r.subject])];
  return formatTable(rows);
}
