#!/usr/bin/env node
// The `sluice` command: dispatches to control-plane, ctl, proxy and start.
// Each command is loaded on demand: `ctl` stays quick to start (it never loads etcd, gRPC or the proxy).
import { CtlError } from '../control-plane/src/cli/ctl/api-client.js';
import { CtlExitStatus } from '../control-plane/src/cli/ctl/ctl-exit-status.js';
import { UsageError } from '../proto/src/command-line/usage-error.js';
import { dumpValidationCountOnSignal } from '../proto/src/model/validation-count-dump.js';

const USAGE = `usage: sluice COMMAND [FLAGS]

  control-plane   run the control plane (admin API, discovery) on etcd or the embedded store
  proxy           run a proxy (static --config, or fed by a control plane);
                  \`sluice proxy reload\` restarts a running proxy's workers without downtime
  ctl             manage resources through the admin API: apply, get, delete
  start           a whole mesh on one machine (what npm start runs)
  init-capture    send a pod's TCP through its sidecar with iptables (an init container runs it)

Run \`sluice COMMAND --help\` for a command's flags.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'control-plane': {
      const { runControlPlaneCommand } = await import('../control-plane/src/cli/control-plane-command.js');
      await runControlPlaneCommand(rest);
      return 0;
    }
    case 'ctl': {
      const { runCtlCommand } = await import('../control-plane/src/cli/ctl/ctl-command.js');
      const out = await runCtlCommand(rest);
      if (out !== '') console.log(out);
      return 0;
    }
    case 'proxy': {
      if (rest[0] === 'reload') {
        // A client of a running proxy's admin server, not a proxy: quick to start.
        const { runProxyReloadCommand } = (await import('../data-plane/src/cli/proxy-reload-command.js')) as { runProxyReloadCommand(argv: string[]): Promise<string> };
        console.log(await runProxyReloadCommand(rest.slice(1)));
        return 0;
      }
      // Before the proxy's modules load: start-up work must not size a serving process's heap or code.
      const { holdWhileStarting } = await import('../data-plane/src/cli/startup-hold.js');
      holdWhileStarting();
      const { runProxyCommand } = (await import('../data-plane/src/cli/proxy-command.js')) as { runProxyCommand(argv: string[]): Promise<void> };
      await runProxyCommand(rest);
      return 0;
    }
    case 'init-capture': {
      const { runInitCaptureCommand } = await import('../data-plane/src/capture/init-capture-command.js');
      console.log(await runInitCaptureCommand(rest));
      return 0;
    }
    case 'start': {
      const { runStartCommand } = await import('./start-command.js');
      await runStartCommand(rest);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

// Off unless SLUICE_VALIDATION_COUNT_DIR is set (the update-cost benchmark sets it).
dumpValidationCountOnSignal();
main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands keep the process alive through their servers; the others end here.
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    let code = 1;
    if (err instanceof CtlExitStatus) {
      if (err.output !== '') console.log(err.output);
      code = err.exitCode;
    } else if (err instanceof CtlError) {
      console.error(err.format());
      code = err.exitCode;
    } else if (err instanceof UsageError) {
      console.error(`sluice: ${(err as Error).message}`);
      code = 2;
    } else {
      console.error(`sluice: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Exit now: a command that failed while starting (a port it cannot bind) may hold servers, a
    // store client or timers open, and must not linger half-started (docs/operations.md).
    process.exit(code);
  },
);
