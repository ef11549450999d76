// `sluice control-plane`: runs one control plane until SIGINT or SIGTERM.
import { createLogger } from '../logger.js';
import { buildControlPlane } from './build-control-plane.js';
import { CONTROL_PLANE_USAGE, parseControlPlaneArgs } from './control-plane-options.js';
import { UsageError } from '../../../proto/src/command-line/usage-error.js';
import { stopOnSignals } from './stop-on-signals.js';

export async function runControlPlaneCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const options = parseControlPlaneArgs(argv, env);
  if (options === 'help') {
    console.log(CONTROL_PLANE_USAGE);
    return;
  }
  if (options.token === undefined && options.tokens.length === 0) throw new UsageError('the admin API needs a token: pass --token-file FILE or set SLUICE_TOKEN (or name tokens with roles in --tokens-file FILE)');
  const log = createLogger({ level: options.logLevel });
  const embedded = options.etcdEndpoints.length === 0;
  if (embedded) log.warn('no --etcd given: running on the embedded store (one process, nothing is kept after exit); use --etcd for production');
  else log.info({ etcd: options.etcdEndpoints, tls: options.etcdCredentials?.ca !== undefined || options.etcdCredentials?.cert !== undefined, user: options.etcdCredentials?.user?.name }, 'using etcd');
  if (options.encryptionKeys === undefined) {
    if (!embedded) log.warn('no --encryption-key-file: private keys are stored in etcd in plaintext, readable by anyone who can read etcd or its backups (docs/operations.md)');
  } else {
    log.info({ sealingKey: options.encryptionKeys[0]!.name, keys: options.encryptionKeys.map((k) => k.name) }, 'private keys in the store are sealed with AES-256-GCM');
  }
  const controlPlane = buildControlPlane(options, options.token, log);
  stopOnSignals(() => controlPlane.stop(), log);
  await controlPlane.start();
  log.info({ api: controlPlane.apiUrl, store: embedded ? 'embedded' : 'etcd' }, 'control plane ready');
}
