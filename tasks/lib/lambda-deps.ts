// Builds TaskDeps inside a deployed Lambda: configuration from the environment, clients through STS role assumption.
import { createClientFactory } from './aws';
import { parseConfig } from './config';
import { InvalidInputError } from './errors';
import type { TaskDeps } from './task';

let cached: Promise<TaskDeps> | undefined;

export function lambdaDeps(): Promise<TaskDeps> {
  cached ??= build();
  return cached;
}

async function build(): Promise<TaskDeps> {
  const raw = process.env.CUSTODY_CONFIG;
  if (!raw) throw new InvalidInputError('CUSTODY_CONFIG is not set in the function environment');
  const config = parseConfig(JSON.parse(raw));
  const clients = createClientFactory({ config, sessionName: 'custody-orchestrator' });
  const { createCaseStore } = await import('./case-store');
  const actor = {
    principal: process.env.CUSTODY_ROLE_ARN ?? 'unknown',
    execution: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown',
  };
  return {
    config,
    clients,
    actor,
    now: () => new Date(),
    store: (caseId, region) => createCaseStore({ caseId, region, config, clients, actor, now: () => new Date() }),
  };
}
