// TaskDeps bound to a sandbox: the same tasks and the same evidence store as in AWS, only the clients are answered locally.
import { createCaseStore } from '../tasks/lib/case-store';
import type { TaskDeps } from '../tasks/lib/task';
import type { SandboxEnvironment } from './index';
import { ORCHESTRATOR_ROLE } from './sandbox';

export function sandboxDeps(env: SandboxEnvironment, execution: string): TaskDeps {
  const clients = env.clients(`custody-${execution}`.slice(0, 64));
  const actor = {
    principal: `arn:aws:sts::${env.scenario.orchestratorAccountId}:assumed-role/${ORCHESTRATOR_ROLE}/custody`,
    execution: `arn:aws:states:local:${env.scenario.orchestratorAccountId}:execution:custody-collect-evidence:${execution}`,
  };
  const now = (): Date => new Date();
  return {
    config: env.config,
    clients,
    actor,
    now,
    store: (caseId, region) => createCaseStore({ caseId, region, config: env.config, clients, actor, now }),
  };
}
