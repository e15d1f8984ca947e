// The operations the sandbox models, per SDK client: anything not listed here throws UnsupportedOperation.
import type { CallContext } from '../sandbox';
import { autoScaling } from './autoscaling';
import { cloudTrail } from './cloudtrail';
import { configService } from './config-service';
import { ec2Instances } from './ec2-instances';
import { ec2Network } from './ec2-network';
import { ec2Snapshots } from './ec2-snapshots';
import { ec2Workstation } from './ec2-workstation';
import { elbv2 } from './elbv2';
import { guardDuty } from './guardduty';
import { iam } from './iam';
import { kms } from './kms';
import { cloudWatchLogs } from './logs';
import { s3 } from './s3';
import { securityHub } from './securityhub';
import { sfn } from './sfn';
import { sns } from './sns';
import { ssm } from './ssm';
import { ssmParameters } from './ssm-parameters';
import { sts } from './sts';

/** A handler takes its command's input (typed by the handler itself) and returns the command's output. */
export type ServiceHandlers = Readonly<Record<string, (ctx: CallContext, input: never) => unknown>>;

/** Keyed by SDK client name without "Client", then command name without "Command". */
export const SERVICES: Readonly<Record<string, ServiceHandlers>> = {
  EC2: { ...ec2Instances, ...ec2Network, ...ec2Snapshots, ...ec2Workstation },
  STS: sts,
  IAM: iam,
  AutoScaling: autoScaling,
  ElasticLoadBalancingV2: elbv2,
  S3: s3,
  KMS: kms,
  SSM: { ...ssm, ...ssmParameters },
  CloudTrail: cloudTrail,
  CloudWatchLogs: cloudWatchLogs,
  ConfigService: configService,
  GuardDuty: guardDuty,
  SNS: sns,
  SecurityHub: securityHub,
  SFN: sfn,
};
