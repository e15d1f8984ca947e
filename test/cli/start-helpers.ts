// Shared setup of the responder-command tests: a sandbox with the deployed state machine, its config file and a captured io.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandEnv } from '../../cli/aws-context';
import type { CliIo } from '../../cli/io';
import { createSandboxEnvironment } from '../../sandbox';
import type { SandboxEnvironment } from '../../sandbox';
import type { Scenario } from '../../sandbox/scenario';
import { configureExecutions } from '../../sandbox/services/sfn';
import { TASKS } from '../../statemachines/tasks';

export interface CliWorld {
  readonly env: SandboxEnvironment;
  readonly dir: string;
  readonly configFile: string;
  readonly eventFile: string;
  readonly commandEnv: CommandEnv;
  readonly stdout: string[];
  readonly io: CliIo;
}

/** A world on the default scenario, or on the given one (a test's own faults, fewer generated logs). */
export function cliWorld(scenario?: Scenario): CliWorld {
  const dir = mkdtempSync(join(tmpdir(), 'custody-cli-'));
  const env = createSandboxEnvironment({ scenario, root: join(dir, 'sandbox') });
  // Until the runner's task table names SealCase, the real task module answers it here.
  configureExecutions(env.sandbox, { tasks: TASKS });
  const configFile = join(dir, 'custody.config.json');
  writeFileSync(configFile, JSON.stringify(env.scenario.config));
  const eventFile = join(dir, 'finding.json');
  writeFileSync(eventFile, JSON.stringify(env.scenario.trigger));
  const stdout: string[] = [];
  const io: CliIo = { out: (line) => stdout.push(line), err: (line) => stdout.push(`ERR ${line}`) };
  const commandEnv: CommandEnv = {
    interceptor: env.sandbox,
    pollMs: 0,
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
  };
  return { env, dir, configFile, eventFile, commandEnv, stdout, io };
}
