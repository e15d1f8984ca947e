// The CustodyOperator role: what responders assume to run `custody start/status/cases/release/verify` against a deployment.
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { CustodyConfig } from '../../tasks/lib/config';
import { InvalidInputError } from '../../tasks/lib/errors';
import { COLLECT_EVIDENCE, listStates, readDefinitionText } from '../../statemachines/definition';
import { ORCHESTRATOR_ROLE_PATH, STATE_MACHINE_NAME, requireDeployment } from '../names';
import { assumeRoleStatements } from '../policy/assume';
import { inlinePolicy } from '../policy/scopes';
import type { WildcardReasons } from '../policy/wildcards';

/** Fixed so the `~/.aws/config` snippet in docs/runbook.md can name it before the stack outputs exist. */
export const OPERATOR_ROLE_NAME = 'CustodyOperator';

export interface OperatorRoleProps {
  readonly config: CustodyConfig;
  readonly reasons: WildcardReasons;
}

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):(root|user\/.+|role\/.+)$/;

/**
 * Under the orchestrator's IAM path, so the responder roles and the evidence-writer roles (which trust `role/custody/*` of the
 * orchestrator account with the external id) accept its sessions: `custody release` reaches members and evidence through it.
 */
export class OperatorRole extends Construct {
  public readonly role: iam.Role;

  public constructor(scope: Construct, id: string, props: OperatorRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const deployment = requireDeployment(props.config);
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: STATE_MACHINE_NAME,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Executions are named by case id: `…:execution:custody-collect-evidence:<case id>` (Step Functions "Resource types").
    const executionArn = props.reasons.resource(
      stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${STATE_MACHINE_NAME}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      'execution names are case ids, unknown until a case starts; bounded to the Custody state machine',
    );
    // The Collect phase is a Distributed Map: `custody start --wait` reads its Map Run's item counts
    // (`…:mapRun:custody-collect-evidence/CollectTarget:<id>`, Step Functions "Resource types").
    const mapRunArns = distributedMapLabels().map((label) =>
      props.reasons.resource(
        stack.formatArn({
          service: 'states',
          resource: 'mapRun',
          resourceName: `${STATE_MACHINE_NAME}/${label}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
        `Map Run ids are made by Step Functions when the ${label} Distributed Map starts; bounded to that Map`,
      ),
    );
    this.role = new iam.Role(this, 'Role', {
      roleName: OPERATOR_ROLE_NAME,
      path: ORCHESTRATOR_ROLE_PATH,
      description: 'Custody: responders start, watch and release cases and verify evidence with the custody CLI',
      assumedBy: operatorTrust(deployment.operatorPrincipals),
      // Role chaining (operator → responder / evidence writer) caps chained sessions at one hour anyway (IAM "Role chaining").
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: inlinePolicy('operator', [
        // `custody start` (and its idempotent re-run) and `custody cases` act on the state machine.
        new iam.PolicyStatement({
          actions: ['states:StartExecution', 'states:ListExecutions'],
          resources: [stateMachineArn],
        }),
        // `custody start --wait` and `custody status` read one execution.
        new iam.PolicyStatement({
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          resources: [executionArn],
        }),
        ...(mapRunArns.length > 0
          ? [new iam.PolicyStatement({ actions: ['states:DescribeMapRun'], resources: mapRunArns })]
          : []),
        // `custody release` undoes containment as the responder role and records it as the evidence writer; `custody verify`
        // reads evidence and kms:GetPublicKey of the signing key as the evidence writer (docs/deploy.md §8).
        ...assumeRoleStatements(props.config, stack.partition, true, props.reasons),
      ]),
    });
  }
}

/**
 * Roles are trusted as named; IAM users only with MFA (IAM User Guide, "Configuring MFA-protected API access": the key is absent
 * for long-term keys, so `Bool` fails closed); an account root lets that account's roles in, and its users only with MFA.
 */
export function operatorTrust(principals: readonly string[]): iam.IPrincipal {
  if (principals.length === 0)
    throw new InvalidInputError('deployment.operatorPrincipals is empty: nobody could assume the operator role');
  const mfa = { Bool: { 'aws:MultiFactorAuthPresent': 'true' } };
  const trusted = principals.flatMap((arn): iam.IPrincipal[] => {
    const match = PRINCIPAL_ARN.exec(arn);
    if (!match) throw new InvalidInputError(`operator principal ${arn} is not an IAM role, user or account root ARN`);
    const [, account, kind] = match;
    if (kind.startsWith('role/')) return [new iam.ArnPrincipal(arn)];
    if (kind.startsWith('user/')) return [new iam.ArnPrincipal(arn).withConditions(mfa)];
    // aws:PrincipalType is AssumedRole for role sessions and User for IAM users (IAM "AWS global condition context keys").
    return [
      new iam.AccountPrincipal(account).withConditions({ StringEquals: { 'aws:PrincipalType': 'AssumedRole' } }),
      new iam.AccountPrincipal(account).withConditions({ StringEquals: { 'aws:PrincipalType': 'User' }, ...mfa }),
    ];
  });
  return new iam.CompositePrincipal(...trusted);
}

/** The Map Run labels of the deployed definition's Distributed Maps (the ASL file is the one source of truth). */
function distributedMapLabels(): string[] {
  return listStates(JSON.parse(readDefinitionText(COLLECT_EVIDENCE)) as unknown)
    .filter((state) => state.mode === 'DISTRIBUTED')
    .map((state) => state.label ?? state.name);
}
