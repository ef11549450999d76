// `sluice ctl`: the admin API from the command line: apply, get, delete.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { configuredToken } from '../../../../proto/src/command-line/token-source.js';
import { UsageError } from '../../../../proto/src/command-line/usage-error.js';
import { ApiClient } from './api-client.js';
import { formatResources, type OutputFormat } from './resource-output.js';
import { ROLLOUT_USAGE, rolloutFlags, runCtlRollout } from './ctl-rollout.js';
import { runCtlToken } from './ctl-token.js';
import { runCtlCa } from './ctl-ca.js';
import { PROXY_CONFIG_USAGE, runCtlProxyConfig } from './ctl-proxy-config.js';

export const CTL_USAGE = `usage: sluice ctl [--server URL] [--ca FILE] [--token TOKEN | --token-file FILE] COMMAND

  apply -f FILE|- [-f FILE...]   create or update every resource in the files (YAML or JSON, many
                                 documents), all or nothing
  get KIND [NAME] [-o table|json|yaml]
                                 list a kind, or show one resource
  delete KIND NAME               delete one resource
  reencrypt                      seal every stored private key again with the control plane's first
                                 encryption key (after adding a key, before dropping the old one)
${ROLLOUT_USAGE}
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
  --service NAME    (token create) the service whose identity the token proves
  --ttl-seconds N   (token create) how long the token is valid (default: until revoked)

KIND: listeners, routes, clusters, endpoints, certificates (singular or plural, any case).
Exit status: 0 on success, 1 when the API refuses or cannot be reached, 2 on a usage error.`;

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
        'proxy-admin': { type: 'string' },
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
    for (const flag of ['filename', 'output', 'service', 'ttl-seconds'] as const) {
      if (values[flag] !== undefined && !allowed.includes(flag)) throw new UsageError(`--${flag} is not an option of \`ctl ${command}\``);
    }
  };

  switch (command) {
    case 'apply': {
      only(['filename']);
      if (args.length > 0) throw new UsageError(`ctl apply takes no arguments besides -f, got ${args.join(' ')}`);
      const files = values.filename ?? [];
      if (files.length === 0) throw new UsageError('ctl apply needs -f FILE (or -f - for stdin)');
      const { body, contentType } = applyBody(files, stdin);
      const answer = await client.call('POST', '/v1/apply', { body, contentType });
      const changes = answer.changes as Array<{ kind: string; name: string; action: string }>;
      return changes.map((c) => `${c.kind.toLowerCase()}/${c.name} ${c.action}`).join('\n') + `\nrevision ${answer.revision}`;
    }
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
      only([]);
      const [kindArg, name, ...rest] = args;
      if (kindArg === undefined || name === undefined || rest.length > 0) throw new UsageError('usage: sluice ctl delete KIND NAME');
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

/** One file ending in .json goes as JSON; anything else (YAML, several files) as YAML documents. */
function applyBody(files: readonly string[], stdin: () => string): { body: string; contentType: string } {
  const texts = files.map((f) => {
    if (f === '-') return stdin();
    try {
      return readFileSync(f, 'utf8');
    } catch (err) {
      throw new UsageError(`-f ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });
  if (files.length === 1 && files[0]!.toLowerCase().endsWith('.json')) return { body: texts[0]!, contentType: 'application/json' };
  return { body: texts.join('\n---\n'), contentType: 'application/yaml' };
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
