// Member-account stack, deployed by a StackSet to every workload account and region: the responder role and the capture documents.
import { Aws, BootstraplessSynthesizer, CfnCondition, CfnOutput, CfnResource, Duration, Fn, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CustodyConfig } from '../../tasks/lib/config';
import { projectRoot } from '../../tasks/lib/paths';
import { actionsFor } from '../../tasks/lib/permissions';
import { forensicsAccountIds, requireDeployment } from '../names';
import { inlinePolicy, statementsFor } from '../policy/scopes';
import { WildcardReasons } from '../policy/wildcards';
import { orchestratorPrincipal } from './storage-stack';

export interface MemberStackProps extends StackProps {
  readonly config: CustodyConfig;
  /** Folder of SSM document contents (`<Name>.json`); defaults to infra/documents. */
  readonly documentsDir?: string;
}

export class MemberStack extends Stack {
  public readonly responderRole: iam.Role;

  public constructor(scope: Construct, id: string, props: MemberStackProps) {
    // Environment-agnostic and bootstrapless: a StackSet deploys the template into accounts CDK never bootstrapped.
    super(scope, id, { ...props, synthesizer: new BootstraplessSynthesizer() });
    const deployment = requireDeployment(props.config);
    const reasons = new WildcardReasons(this);

    // IAM is global: the StackSet instance in the role region creates the role, the others only their region's documents.
    const documents = documentFiles(props.documentsDir ?? join(projectRoot(), 'infra', 'documents'));
    const roleRegion = new CfnCondition(this, 'IsRoleRegion', {
      expression: Fn.conditionEquals(Aws.REGION, deployment.memberRoleRegion),
    });
    this.responderRole = new iam.Role(this, 'ResponderRole', {
      roleName: props.config.responderRoleName,
      description: 'Custody: the orchestrator preserves, isolates and captures instances of this account as this role',
      assumedBy: orchestratorPrincipal(props.config, Aws.PARTITION),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: inlinePolicy(
        'responder',
        statementsFor('member', actionsFor('member'), {
          partition: Aws.PARTITION,
          account: Aws.ACCOUNT_ID,
          forensicsAccounts: forensicsAccountIds(props.config),
          documentNames: documents.map((file) => basename(file, '.json')),
          selfRoleArn: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${props.config.responderRoleName}`,
          reasons,
        }),
      ),
    });
    (this.responderRole.node.defaultChild as CfnResource).cfnOptions.condition = roleRegion;
    new CfnOutput(this, 'ResponderRoleArn', { value: this.responderRole.roleArn, condition: roleRegion });

    for (const file of documents) {
      const name = basename(file, '.json');
      new ssm.CfnDocument(this, `Document${name.replace(/[^A-Za-z0-9]/g, '')}`, {
        name,
        documentType: 'Command',
        documentFormat: 'JSON',
        content: JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>,
        updateMethod: 'NewVersion',
      });
    }
    reasons.acknowledgeAll();
  }
}

/** Every `*.json` in the documents folder, sorted so the template is stable; none when the folder does not exist yet. */
export function documentFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (
    readdirSync(dir)
      // The workstation's documents run in the forensics account (infra/stacks/workstation-stack.ts), never on a member's instances.
      .filter((file) => file.endsWith('.json') && !file.startsWith('Custody-Workstation'))
      .sort()
      .map((file) => join(dir, file))
  );
}
