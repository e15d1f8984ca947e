// The client factory: every AWS client a task uses comes from here, for a member account, a forensics account or the orchestrator.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { CustodyConfig } from './config';
import { forensicsFor } from './config';

/** Something that can answer SDK clients instead of AWS (the sandbox); tasks never know which they talk to. */
export interface ClientInterceptor {
  orchestratorCredentials(): AwsCredentialIdentity;
  attach<T extends object>(client: T): T;
}

/** Lazily built clients for one principal in one region. */
export interface Clients {
  readonly accountId: string;
  readonly region: string;
  ec2(): EC2Client;
  s3(): S3Client;
  ssm(): SSMClient;
  iam(): IAMClient;
  kms(): KMSClient;
  sts(): STSClient;
  autoScaling(): AutoScalingClient;
  elbv2(): ElasticLoadBalancingV2Client;
  cloudTrail(): CloudTrailClient;
  logs(): CloudWatchLogsClient;
  configService(): ConfigServiceClient;
  guardDuty(): GuardDutyClient;
  securityHub(): SecurityHubClient;
  sns(): SNSClient;
  sfn(): SFNClient;
}

export interface ClientFactory {
  /** Clients acting in a workload account as the responder role. */
  member(accountId: string, region: string): Clients;
  /** Clients acting in a region's forensics account as the evidence writer role. */
  forensics(region: string): Clients;
  /** Clients acting as the orchestrator itself (SNS, Step Functions). */
  orchestrator(region: string): Clients;
}

export interface ClientFactoryOptions {
  readonly config: CustodyConfig;
  /** Role session name recorded in CloudTrail for every call Custody makes (e.g. `custody-<caseId>`). */
  readonly sessionName: string;
  readonly interceptor?: ClientInterceptor;
  /** The orchestrator's account id when known (sandbox or stack outputs); only used for labels. */
  readonly orchestratorAccountId?: string;
  /** Credentials of the orchestrator principal (e.g. the CLI's `fromIni({ profile })`); the SDK's default chain when absent. */
  readonly baseCredentials?: AwsCredentialIdentityProvider;
}

type Constructor<T> = new (config: {
  region: string;
  credentials: AwsCredentialIdentityProvider;
  maxAttempts: number;
}) => T;

export function createClientFactory(options: ClientFactoryOptions): ClientFactory {
  const base: AwsCredentialIdentityProvider | undefined = options.interceptor
    ? async () => options.interceptor!.orchestratorCredentials()
    : options.baseCredentials;
  const cache = new Map<string, Clients>();

  const build = (
    accountId: string,
    region: string,
    credentials: AwsCredentialIdentityProvider | undefined,
  ): Clients => {
    const instances = new Map<string, object>();
    const make = <T extends object>(name: string, ctor: Constructor<T>): T => {
      const existing = instances.get(name);
      if (existing) return existing as T;
      const config = { region, maxAttempts: 3, ...(credentials ? { credentials } : {}) } as {
        region: string;
        credentials: AwsCredentialIdentityProvider;
        maxAttempts: number;
      };
      const client = new ctor(config);
      const attached = options.interceptor ? options.interceptor.attach(client) : client;
      instances.set(name, attached);
      return attached;
    };
    return {
      accountId,
      region,
      ec2: () => make('ec2', EC2Client),
      s3: () => make('s3', S3Client),
      ssm: () => make('ssm', SSMClient),
      iam: () => make('iam', IAMClient),
      kms: () => make('kms', KMSClient),
      sts: () => make('sts', STSClient),
      autoScaling: () => make('autoScaling', AutoScalingClient),
      elbv2: () => make('elbv2', ElasticLoadBalancingV2Client),
      cloudTrail: () => make('cloudTrail', CloudTrailClient),
      logs: () => make('logs', CloudWatchLogsClient),
      configService: () => make('configService', ConfigServiceClient),
      guardDuty: () => make('guardDuty', GuardDutyClient),
      securityHub: () => make('securityHub', SecurityHubClient),
      sns: () => make('sns', SNSClient),
      sfn: () => make('sfn', SFNClient),
    };
  };

  const orchestrator = (region: string): Clients =>
    memo(cache, `orchestrator:${region}`, () => build(options.orchestratorAccountId ?? 'self', region, base));

  const assumed = (accountId: string, region: string, roleName: string): Clients =>
    memo(cache, `${accountId}:${region}:${roleName}`, () => {
      const sts = orchestrator(region).sts();
      const provider = assumeRoleProvider(
        sts,
        `arn:aws:iam::${accountId}:role/${roleName}`,
        options.config.externalId,
        options.sessionName,
      );
      return build(accountId, region, provider);
    });

  return {
    member: (accountId, region) => assumed(accountId, region, options.config.responderRoleName),
    forensics: (region) =>
      assumed(forensicsFor(options.config, region).forensicsAccountId, region, options.config.evidenceWriterRoleName),
    orchestrator,
  };
}

function memo<T>(cache: Map<string, T>, key: string, create: () => T): T {
  const existing = cache.get(key);
  if (existing) return existing;
  const created = create();
  cache.set(key, created);
  return created;
}

/** Credentials from sts:AssumeRole, refreshed five minutes before they expire. */
export function assumeRoleProvider(
  sts: STSClient,
  roleArn: string,
  externalId: string,
  sessionName: string,
): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined;
  let expires = 0;
  return async () => {
    if (!current || Date.now() > expires - 5 * 60 * 1000) {
      current = sts
        .send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName.slice(0, 64),
            ExternalId: externalId,
            DurationSeconds: 3600,
          }),
        )
        .then((response) => {
          const credentials = response.Credentials;
          if (!credentials?.AccessKeyId || !credentials.SecretAccessKey)
            throw new Error(`AssumeRole ${roleArn} returned no credentials`);
          expires = credentials.Expiration?.getTime() ?? Date.now() + 3600 * 1000;
          return {
            accessKeyId: credentials.AccessKeyId,
            secretAccessKey: credentials.SecretAccessKey,
            sessionToken: credentials.SessionToken,
            expiration: credentials.Expiration,
          };
        });
      current.catch(() => {
        current = undefined;
      });
    }
    return current;
  };
}
