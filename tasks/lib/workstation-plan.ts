// The workstation's dry-run plan: what it would launch and run, and whether each call is allowed, without changing anything.
import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DetachVolumeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import type { Case, Target } from './case';
import type { WorkstationConfig } from './config';
import { forensicsFor } from './config';
import { errorMessage } from './errors';
import type { TaskDeps } from './task';
import type { WorkstationState } from './workstation';
import { EXAMINE_DOCUMENT } from './workstation';
import type { DryRunVerdict } from '../snapshot-volumes';
import { ec2DryRun } from '../snapshot-volumes';

/** Well-formed placeholder ids: a DryRun call is authorised before EC2 looks anything up. */
const DRY_SNAPSHOT = 'snap-0000000000000000d';
const DRY_VOLUME = 'vol-0000000000000000d';
const DRY_INSTANCE = 'i-0000000000000000d';

/** Calls with no DryRun parameter, checked with iam:SimulatePrincipalPolicy against the evidence writer role (IAM policy simulator). */
const SIMULATED = ['ssm:GetParameter', 'iam:PassRole', 'ssm:SendCommand', 'ssm:GetCommandInvocation'] as const;

export async function planWorkstation(
  input: { case: Case; target: Target },
  deps: TaskDeps,
  config: WorkstationConfig,
): Promise<Pick<WorkstationState, 'plan' | 'summary' | 'gaps'>> {
  const { region } = input.target;
  const ec2 = deps.clients.forensics(region).ec2();
  const keyArn = forensicsFor(deps.config, region).snapshotKeyArn;
  const plan: DryRunVerdict[] = [
    await ec2DryRun(`ec2:RunInstances (${config.instanceType}, subnet ${config.subnetId})`, () =>
      ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0000000000000000d',
          InstanceType: config.instanceType as never,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: config.subnetId,
          DryRun: true,
        }),
      ),
    ),
    await ec2DryRun('ec2:CreateVolume (from forensics snapshot copies, forensics key)', () =>
      ec2.send(
        new CreateVolumeCommand({
          SnapshotId: DRY_SNAPSHOT,
          AvailabilityZone: `${region}a`,
          Encrypted: true,
          KmsKeyId: keyArn,
          DryRun: true,
        }),
      ),
    ),
    await ec2DryRun('ec2:AttachVolume', () =>
      ec2.send(
        new AttachVolumeCommand({ VolumeId: DRY_VOLUME, InstanceId: DRY_INSTANCE, Device: '/dev/sdf', DryRun: true }),
      ),
    ),
    await ec2DryRun('ec2:DetachVolume', () =>
      ec2.send(new DetachVolumeCommand({ VolumeId: DRY_VOLUME, DryRun: true })),
    ),
    await ec2DryRun('ec2:DeleteVolume', () =>
      ec2.send(new DeleteVolumeCommand({ VolumeId: DRY_VOLUME, DryRun: true })),
    ),
    await ec2DryRun('ec2:TerminateInstances', () =>
      ec2.send(new TerminateInstancesCommand({ InstanceIds: [DRY_INSTANCE], DryRun: true })),
    ),
    ...(await simulate(deps, region)),
  ];
  const summary = {
    instanceType: config.instanceType,
    amiParameter: config.amiParameter,
    subnetId: config.subnetId,
    volumes: `one per snapshot copy of ${input.target.instanceId} in the forensics account`,
    documents: [EXAMINE_DOCUMENT],
    tools: ['plaso log2timeline', 'sleuthkit fls', 'volatility3'],
    estimatedHours: config.estimatedHours,
  };
  const gaps = plan
    .filter((verdict) => verdict.verdict === 'denied')
    .map((verdict) => ({
      target: `${input.target.accountId}/${region}/${input.target.instanceId}`,
      step: 'StartWorkstation',
      reason: `dry run: ${verdict.action} would be denied`,
      error: verdict.error,
    }));
  return { plan, summary, gaps };
}

async function simulate(deps: TaskDeps, region: string): Promise<DryRunVerdict[]> {
  const forensics = forensicsFor(deps.config, region);
  const roleArn = `arn:aws:iam::${forensics.forensicsAccountId}:role/${deps.config.evidenceWriterRoleName}`;
  try {
    const result = await deps.clients
      .forensics(region)
      .iam()
      .send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: roleArn, ActionNames: [...SIMULATED] }));
    return SIMULATED.map((action) => {
      const decision = result.EvaluationResults?.find(
        (evaluation) => evaluation.EvalActionName === action,
      )?.EvalDecision;
      return decision === 'allowed'
        ? { action, verdict: 'would-do' }
        : { action, verdict: 'denied', error: decision ?? 'not evaluated' };
    });
  } catch (error) {
    return SIMULATED.map((action) => ({
      action,
      verdict: 'denied',
      error: `could not simulate: ${errorMessage(error)}`,
    }));
  }
}
