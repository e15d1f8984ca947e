// Forensics storage stack, one per region in that region's forensics account: the locked evidence bucket, its keys and the writer role.
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { CustodyConfig, ForensicsRegion } from '../../tasks/lib/config';
import { actionsFor } from '../../tasks/lib/permissions';
import { ALIASES, forensicsAccountIds, orchestratorRolePattern, requireDeployment } from '../names';
import { inlinePolicy, statementsFor } from '../policy/scopes';
import { WildcardReasons } from '../policy/wildcards';

export interface StorageStackProps extends StackProps {
  readonly config: CustodyConfig;
  readonly region: string;
}

export class StorageStack extends Stack {
  public readonly evidenceBucket: s3.Bucket;
  public readonly evidenceKey: kms.Key;
  public readonly snapshotKey: kms.Key;
  public readonly signingKey: kms.Key;
  public readonly writerRole: iam.Role;

  public constructor(scope: Construct, id: string, props: StorageStackProps) {
    const destination: ForensicsRegion | undefined = props.config.regions[props.region];
    if (!destination) throw new Error(`region ${props.region} has no forensics account in the configuration`);
    super(scope, id, { ...props, env: { account: destination.forensicsAccountId, region: props.region } });
    const deployment = requireDeployment(props.config);
    const reasons = new WildcardReasons(this);

    this.evidenceKey = new kms.Key(this, 'EvidenceKey', {
      description: 'Custody: SSE-KMS key of the evidence bucket',
      alias: ALIASES.evidence,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.snapshotKey = new kms.Key(this, 'SnapshotKey', {
      description: 'Custody: EBS snapshot copies of evidence volumes',
      alias: ALIASES.snapshots,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.allowMemberSnapshotCopies(props.config);
    // Asymmetric KMS keys cannot rotate automatically (AWS KMS "Rotating AWS KMS keys"); a new key means a new key id in new manifests.
    this.signingKey = new kms.Key(this, 'ManifestSigningKey', {
      description: 'Custody: signs case manifests (ECDSA_SHA_256)',
      alias: ALIASES.signing,
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const accessLogs = new s3.Bucket(this, 'AccessLogBucket', {
      // S3 server access logs can only be delivered with SSE-S3 and to a bucket without default Object Lock retention
      // (Amazon S3 User Guide, "Enabling Amazon S3 server access logging").
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    denyDeletes(accessLogs);
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket of the evidence bucket; logging it into itself would loop, and its deletes are denied by policy.',
    });

    this.evidenceBucket = new s3.Bucket(this, 'EvidenceBucket', {
      bucketName: destination.evidenceBucket,
      objectLockEnabled: true,
      // COMPLIANCE: no principal, root included, can shorten or remove retention (Amazon S3 User Guide, "Object Lock").
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.config.retentionDays)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.evidenceKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'evidence/',
      lifecycleRules: [
        {
          id: 'evidence-to-glacier',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER,
              transitionAfter: Duration.days(deployment.evidenceTransitionDays),
            },
          ],
          noncurrentVersionTransitions: [
            {
              storageClass: s3.StorageClass.GLACIER,
              transitionAfter: Duration.days(deployment.evidenceTransitionDays),
            },
          ],
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    denyDeletes(this.evidenceBucket, ['s3:PutBucketObjectLockConfiguration', 's3:BypassGovernanceRetention']);

    this.writerRole = new iam.Role(this, 'EvidenceWriterRole', {
      roleName: props.config.evidenceWriterRoleName,
      description: 'Custody: the orchestrator writes and signs evidence of this region as this role',
      assumedBy: orchestratorPrincipal(props.config, this.partition),
      maxSessionDuration: Duration.hours(1),
      inlinePolicies: inlinePolicy(
        'evidence',
        statementsFor('forensics', actionsFor('forensics'), {
          partition: this.partition,
          account: this.account,
          forensicsAccounts: forensicsAccountIds(props.config),
          bucketArn: this.evidenceBucket.bucketArn,
          keyArns: {
            evidence: this.evidenceKey.keyArn,
            snapshots: this.snapshotKey.keyArn,
            signing: this.signingKey.keyArn,
          },
          selfRoleArn: `arn:${this.partition}:iam::${this.account}:role/${props.config.evidenceWriterRoleName}`,
          reasons,
        }),
      ),
    });

    new CfnOutput(this, 'EvidenceBucketName', { value: this.evidenceBucket.bucketName });
    new CfnOutput(this, 'EvidenceKeyArn', { value: this.evidenceKey.keyArn });
    new CfnOutput(this, 'SnapshotKeyArn', { value: this.snapshotKey.keyArn });
    new CfnOutput(this, 'SigningKeyArn', { value: this.signingKey.keyArn });
    new CfnOutput(this, 'EvidenceWriterRoleArn', { value: this.writerRole.roleArn });
    new CfnOutput(this, 'ToolStagingUri', {
      value: `s3://${destination.evidenceBucket}/${deployment.toolStagingPrefix}`,
    });
    reasons.acknowledgeAll();
  }

  /**
   * Member accounts copy their snapshots re-encrypted with this key, so their EBS service calls need it through grants
   * (Amazon EBS User Guide, "Share an Amazon EBS snapshot": kms:DescribeKey, CreateGrant, GenerateDataKey*, ReEncrypt*, Decrypt).
   */
  private allowMemberSnapshotCopies(config: CustodyConfig): void {
    const deployment = requireDeployment(config);
    const principals = deployment.organizationId
      ? [new iam.AnyPrincipal()]
      : deployment.memberAccountIds.map((account) => new iam.AccountPrincipal(account));
    if (principals.length === 0) return;
    const orgCondition = deployment.organizationId ? { 'aws:PrincipalOrgID': deployment.organizationId } : {};
    const viaEc2 = { 'kms:ViaService': `ec2.${this.region}.amazonaws.com` };
    this.snapshotKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'MemberAccountsUseForSnapshotCopies',
        principals,
        actions: [
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKeyWithoutPlaintext',
        ],
        resources: ['*'],
        conditions: { StringEquals: { ...orgCondition, ...viaEc2 } },
      }),
    );
    this.snapshotKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'MemberAccountsGrantToEbsOnly',
        principals,
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { StringEquals: { ...orgCondition, ...viaEc2 }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
  }
}

/** Nobody, whatever their IAM permissions, deletes evidence or weakens the lock (the bucket policy is checked for every principal). */
function denyDeletes(bucket: s3.Bucket, extra: string[] = []): void {
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyEvidenceDeletion',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:DeleteBucket', ...extra],
      resources: [bucket.bucketArn, bucket.arnForObjects('*')],
    }),
  );
}

/** The orchestrator's Lambda roles (by their IAM path) with the external id: nobody else in that account. */
export function orchestratorPrincipal(config: CustodyConfig, partition: string): iam.IPrincipal {
  return new iam.AccountPrincipal(requireDeployment(config).orchestratorAccountId).withConditions({
    StringEquals: { 'sts:ExternalId': config.externalId },
    ArnLike: { 'aws:PrincipalArn': orchestratorRolePattern(config, partition) },
  });
}
