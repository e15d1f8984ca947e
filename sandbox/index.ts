// Builds a ready-to-use sandbox: the organisation from a scenario, its Custody configuration, and a client factory bound to it.
import type { ClientFactory } from '../tasks/lib/aws';
import { createClientFactory } from '../tasks/lib/aws';
import type { CustodyConfig } from '../tasks/lib/config';
import { parseConfig } from '../tasks/lib/config';
import { Sandbox } from './sandbox';
import type { Scenario } from './scenario';
import { loadScenario } from './scenario';

export interface SandboxEnvironment {
  readonly sandbox: Sandbox;
  readonly scenario: Scenario;
  readonly config: CustodyConfig;
  /** A client factory whose every client is answered by this sandbox. */
  clients(sessionName?: string): ClientFactory;
}

export interface SandboxEnvironmentOptions {
  /** Shipped scenario name, a file path, or an already parsed scenario. */
  readonly scenario?: string | Scenario;
  /** Folder for bucket contents. */
  readonly root: string;
  readonly pendingMs?: number;
}

export function createSandboxEnvironment(options: SandboxEnvironmentOptions): SandboxEnvironment {
  const scenario = typeof options.scenario === 'object' ? options.scenario : loadScenario(options.scenario);
  const sandbox = new Sandbox(scenario, { root: options.root, pendingMs: options.pendingMs });
  const config = parseConfig(scenario.config);
  return {
    sandbox,
    scenario: sandbox.scenario,
    config,
    clients: (sessionName = 'custody-tabletop') =>
      createClientFactory({
        config,
        sessionName,
        interceptor: sandbox,
        orchestratorAccountId: scenario.orchestratorAccountId,
      }),
  };
}

export { Sandbox } from './sandbox';
export type { CallRecord, CallContext, Caller } from './sandbox';
