// Names the stacks share by convention instead of cross-stack references: the stacks live in different accounts.
import type { CustodyConfig, Deployment } from '../tasks/lib/config';
import { InvalidInputError } from '../tasks/lib/errors';

/** KMS aliases in every forensics account; policies in other accounts match them with `kms:ResourceAliases`. */
export const ALIASES = {
  evidence: 'alias/custody/evidence',
  snapshots: 'alias/custody/snapshots',
  signing: 'alias/custody/manifest-signing',
} as const;

/** IAM path of every orchestrator Lambda role: member and forensics roles trust exactly this path in the orchestrator account. */
export const ORCHESTRATOR_ROLE_PATH = '/custody/';

/** Execution names are the case id (one execution per case); the state machine name is fixed so the CLI can find it. */
export const STATE_MACHINE_NAME = 'custody-collect-evidence';

/** The deployment section the CDK app cannot work without. */
export function requireDeployment(config: CustodyConfig): Deployment {
  if (!config.deployment) {
    throw new InvalidInputError(
      'the configuration has no "deployment" section (orchestrator account, regions, member role region)',
    );
  }
  return config.deployment;
}

/** ARN pattern of the orchestrator's Lambda roles, for `aws:PrincipalArn` in trust policies. */
export function orchestratorRolePattern(config: CustodyConfig, partition: string): string {
  return `arn:${partition}:iam::${requireDeployment(config).orchestratorAccountId}:role${ORCHESTRATOR_ROLE_PATH}*`;
}

export function forensicsAccountIds(config: CustodyConfig): string[] {
  return [...new Set(Object.values(config.regions).map((region) => region.forensicsAccountId))].sort();
}
