// Which roles an orchestrator Lambda may assume: every forensics writer (every task records custody), responders only if it needs them.
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CustodyConfig } from '../../tasks/lib/config';
import { forensicsAccountIds, requireDeployment } from '../names';
import type { WildcardReasons } from './wildcards';

export function assumeRoleStatements(
  config: CustodyConfig,
  partition: string,
  member: boolean,
  reasons: WildcardReasons,
): PolicyStatement[] {
  const statements = [
    new PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: forensicsAccountIds(config).map(
        (account) => `arn:${partition}:iam::${account}:role/${config.evidenceWriterRoleName}`,
      ),
    }),
  ];
  if (!member) return statements;
  const deployment = requireDeployment(config);
  if (deployment.organizationId) {
    // Workload accounts come and go; the role name plus the organization (aws:ResourceOrgID) bounds which roles these are.
    const resource = reasons.resource(
      `arn:${partition}:iam::*:role/${config.responderRoleName}`,
      'the responder role exists in every workload account of the organization, bounded by aws:ResourceOrgID',
    );
    statements.push(
      new PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [resource],
        conditions: { StringEquals: { 'aws:ResourceOrgID': deployment.organizationId } },
      }),
    );
  } else if (deployment.memberAccountIds.length > 0) {
    statements.push(
      new PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: deployment.memberAccountIds.map(
          (account) => `arn:${partition}:iam::${account}:role/${config.responderRoleName}`,
        ),
      }),
    );
  }
  return statements;
}
