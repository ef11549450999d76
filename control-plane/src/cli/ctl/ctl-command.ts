// `sluice ctl`: the admin API from the command line: apply, diff, get, delete.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { configuredToken } from '../../../../proto/src/command-line/token-source.js';
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import { ApiClient } from './api-client.js';
import { formatResources, type OutputFormat } from './resource-output.js';
import { ROLLOUT_USAGE, rolloutFlags, runCtlRollout } from './ctl-rollout.js';
import { runCtlToken } from './ctl-token.js';
import { runCtlCa } from './ctl-ca.js';
import { HISTORY_USAGE, runCtlHistory, runCtlRollback } from './ctl-history.js';
import { APPLY_USAGE, fileFlags, runCtlApply, runCtlDeleteFiles, runCtlDiff } from './ctl-apply.js';
import { PROXY_CONFIG_USAGE, runCtlProxyConfig } from './ctl-proxy-config.js';
import { PROXY_STATUS_USAGE, runCtlProxyStatus } from './ctl-proxy-status.js';

export const CTL_USAGE = `usage: sluice ctl [--server URL] [--ca FILE] [--token TOKEN | --token-file FILE] COMMAND

${APPLY_USAGE}
  get KIND [NAME] [-o table|json|yaml]
                                 list a kind, or show one resource
  delete KIND NAME               delete one resource
  reencrypt                      seal every stored private key again with the control plane's first
                                 encryption key (after adding a key, before dropping the old one)
${ROLLOUT_USAGE}
${HISTORY_USAGE}
${PROXY_STATUS_USAGE}
${PROXY_CONFIG_USAGE}
  token create --service NAME [--ttl-seconds N] [-o json]
                                 a bootstrap token for NAME's proxies (identity
                                 spiffe://<trust domain>/svc/NAME), printed once; without
                                 --ttl-seconds it is valid until revoked
  token list                     the tokens (never the tokens themselves: their ids)
  token revoke ID                revoke a token; certificates already issued stay valid
  ca roots                       the roots of the trust bundle, and which one signs
  ca bundle                      the trust bundle as PEM (proxies' --control-plane-ca)
  ca add-root | ca use-root SERIAL | ca remove-root SERIAL
                                 the three steps of a root rotation: add a new root to the
                                 bundle, sign with it, remove the old one

  --server URL      the admin API (default: SLUICE_SERVER, else http://127.0.0.1:15080)
  --ca FILE         PEM CA certificates that verify an https:// server (default: SLUICE_CA, else
                    the system's CAs)
  --token TOKEN     the bearer token (default: SLUICE_TOKEN)
  --token-file FILE read the token from FILE
  --service NAME    (token create) the service whose identity the token proves; (proxy-status)
                    only that service's proxies
  --zone ZONE       (proxy-status) only that zone's proxies
  --state STATE     (proxy-status) only proxies SYNCED, STALE or NACK
  --ttl-seconds N   (token create) how long the token is valid (default: until revoked)
  --prune           (apply, diff) delete what apply set --applyset NAME held and the files dropped
  --applyset NAME   (apply, diff) the apply set the files are applied as (needs --prune)
  --dry-run         (apply, delete -f) say what would change, change nothing

KIND: listeners, routes, clusters, endpoints, certificates (singular or plural, any case).
Exit status: 0 on success, 1 when the API refuses or cannot be reached, 2 on a usage error
(ctl diff: 0 no differences, 1 differences, 2 usage error, 3 the API refused or is unreachable).`;

export const DEFAULT_SERVER = 'http://127.0.0.1:15080';

/** Runs one ctl command; resolves with what to print on stdout. Throws UsageError or CtlError. */
export async function runCtlCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, stdin: () => string = readStdin): Promise<string> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        server: { type: 'string' },
        ca: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        filename: { type: 'string', short: 'f', multiple: true },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
        wait: { type: 'boolean' },
        timeout: { type: 'string' },
        revision: { type: 'string' },
        service: { type: 'string' },
        'ttl-seconds': { type: 'string' },
        to: { type: 'string' },
        limit: { type: 'string' },
        prune: { type: 'boolean' },
        applyset: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'proxy-admin': { type: 'string' },
        zone: { type: 'string' },
        state: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help === true || command === undefined || command === 'help') return CTL_USAGE;
  const token = values.token ?? configuredToken(values['token-file'], env);
  const client = new ApiClient(values.server ?? env['SLUICE_SERVER'] ?? DEFAULT_SERVER, token, undefined, readCa(values.ca ?? env['SLUICE_CA']));
  const only = (allowed: string[]): void => {
    for (const flag of ['filename', 'output', 'service', 'ttl-seconds', 'to', 'limit', 'prune', 'applyset', 'dry-run', 'zone', 'state'] as const) {
      if (values[flag] !== undefined && !allowed.includes(flag)) throw new UsageError(`--${flag} is not an option of \`ctl ${command}\``);
    }
  };

  switch (command) {
    case 'apply':
      only(['filename', 'prune', 'applyset', 'dry-run']);
      return await runCtlApply(client, fileFlags(command, args, values), stdin);
    case 'diff':
      only(['filename', 'prune', 'applyset']);
      return await runCtlDiff(client, fileFlags(command, args, values), stdin);
    case 'get': {
      only(['output']);
      const format = outputFormat(values.output);
      const [kindArg, name, ...rest] = args;
      if (kindArg === undefined || rest.length > 0) throw new UsageError('usage: sluice ctl get KIND [NAME] [-o table|json|yaml]');
      const plural = kindSegment(kindArg);
      if (name !== undefined) {
        const one = await client.call('GET', `/v1/${plural}/${encodeURIComponent(name)}`);
        return formatResources([one], format);
      }
      const list = await client.call('GET', `/v1/${plural}`);
      return formatResources(list.resources, format, list);
    }
    case 'delete': {
      if (values.filename !== undefined) {
        only(['filename', 'dry-run']);
        return await runCtlDeleteFiles(client, fileFlags(command, args, values), stdin);
      }
      only([]);
      const [kindArg, name, ...rest] = args;
      if (kindArg === undefined || name === undefined || rest.length > 0) throw new UsageError('usage: sluice ctl delete KIND NAME | delete -f FILE');
      const answer = await client.call('DELETE', `/v1/${kindSegment(kindArg)}/${encodeURIComponent(name)}`);
      return `${String(answer.kind).toLowerCase()}/${answer.name} deleted\nrevision ${answer.revision}`;
    }
    case 'reencrypt': {
      only([]);
      if (args.length > 0) throw new UsageError('usage: sluice ctl reencrypt');
      const answer = await client.call('POST', '/v1/reencrypt');
      const how = answer.sealingKey === null ? 'in plaintext (the control plane has no --encryption-key-file)' : `sealed with key "${answer.sealingKey}"`;
      return `${answer.certificates} certificate${answer.certificates === 1 ? '' : 's'} rewritten, private keys ${how}\nrevision ${answer.revision}`;
    }
    case 'rollout':
      only([]);
      if (args.length > 0) throw new UsageError('usage: sluice ctl rollout [--wait] [--timeout MS] [--revision R]');
      return await runCtlRollout(client, rolloutFlags(values));
    case 'token':
      return await runCtlToken(client, args, values, only);
    case 'history':
      only(['output', 'limit']);
      return await runCtlHistory(client, args, values);
    case 'rollback':
      only(['to', 'dry-run']);
      return await runCtlRollback(client, args, values);
    case 'proxy-status':
      only(['service', 'zone', 'state', 'output']);
      return await runCtlProxyStatus(client, args, { service: values.service, zone: values.zone, state: values.state, output: values.output });
    case 'proxy-config':
      only(['output']);
      return await runCtlProxyConfig(client, args, { output: values.output, proxyAdmin: values['proxy-admin'] });
    case 'ca':
      only([]);
      return await runCtlCa(client, args);
    default:
      throw new UsageError(`unknown ctl command "${command}"\n\n${CTL_USAGE}`);
  }
}

/** The kind as typed: the API takes any spelling (route, routes, Route) and its 404 lists the kinds. */
function kindSegment(spelling: string): string {
  return encodeURIComponent(spelling);
}

function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if (value === 'table' || value === 'json' || value === 'yaml') return value;
  throw new UsageError(`-o must be table, json or yaml, got ${JSON.stringify(value)}`);
}

function readCa(path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--ca ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readStdin(): string {
  return readFileSync(0, 'utf8');
}
