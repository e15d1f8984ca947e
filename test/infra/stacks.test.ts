import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CustodyStacks } from '../../infra/app';
import { DEFAULT_DEFINITION, placeholders, substitute, taskStates } from '../../infra/asl';
import { projectRoot } from '../../tasks/lib/paths';
import { exampleStacks, nagFindings, roleStatements } from './helpers';

let stacks: CustodyStacks;
let storage: Template;
let orchestrator: Template;
let member: Template;

beforeAll(() => {
  stacks = exampleStacks();
  storage = Template.fromStack(stacks.storage['eu-west-1']);
  orchestrator = Template.fromStack(stacks.orchestrator);
  member = Template.fromStack(stacks.member);
});

describe('the example organisation', () => {
  it('synthesizes a storage stack per region in that region’s forensics account, the orchestrator and the member template', () => {
    expect(Object.keys(stacks.storage)).toEqual(['eu-west-1', 'us-east-1']);
    expect(stacks.storage['eu-west-1'].account).toBe('333333333333');
    expect(stacks.storage['us-east-1'].account).toBe('444444444444');
    expect(stacks.storage['us-east-1'].region).toBe('us-east-1');
    expect(stacks.orchestrator.account).toBe('111111111111');
  });

  it.each(['CustodyStorage-eu-west-1', 'CustodyStorage-us-east-1', 'CustodyOrchestrator', 'CustodyMember'])(
    'leaves no unacknowledged AwsSolutions finding in %s',
    (name) => {
      const stack = [...Object.values(stacks.storage), stacks.orchestrator, stacks.member].find(
        (s) => s.stackName === name,
      )!;
      expect(nagFindings(stack)).toEqual([]);
    },
  );
});

describe('evidence storage', () => {
  it('locks every evidence object in COMPLIANCE mode for the configured retention', () => {
    storage.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'custody-evidence-333333333333-eu-west-1',
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'evidence/' }),
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 90 }] })],
      },
    });
    const buckets = storage.findResources('AWS::S3::Bucket');
    for (const bucket of Object.values(buckets)) expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('denies non-TLS access, evidence deletion and weakening the lock to every principal', () => {
    const policies = Object.values(storage.findResources('AWS::S3::BucketPolicy')).filter((p) =>
      JSON.stringify(p.Properties.Bucket).includes('EvidenceBucket'),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const deny = statements.find((s) => s.Sid === 'DenyEvidenceDeletion')!;
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect(deny.Action).toEqual(
      expect.arrayContaining([
        's3:DeleteObject',
        's3:DeleteObjectVersion',
        's3:DeleteBucket',
        's3:PutBucketObjectLockConfiguration',
        's3:BypassGovernanceRetention',
      ]),
    );
  });

  it('signs manifests with an ECC_NIST_P256 SIGN_VERIFY key and rotates the symmetric keys', () => {
    storage.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    expect(
      Object.values(storage.findResources('AWS::KMS::Key', { Properties: { EnableKeyRotation: true } })),
    ).toHaveLength(2);
    storage.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/custody/manifest-signing' });
  });

  it('lets only the organization’s accounts use the snapshot key, through EC2, with grants for AWS resources only', () => {
    const key = Object.values(storage.findResources('AWS::KMS::Key')).find((k) =>
      JSON.stringify(k).includes('MemberAccountsGrantToEbsOnly'),
    )!;
    const grant = key.Properties.KeyPolicy.Statement.find(
      (s: { Sid?: string }) => s.Sid === 'MemberAccountsGrantToEbsOnly',
    );
    expect(grant).toMatchObject({
      Action: 'kms:CreateGrant',
      Condition: {
        StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    });
  });

  it('lets the orchestrator’s roles assume the evidence writer only with the external id', () => {
    storage.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'CustodyEvidenceWriter',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'sts:ExternalId': 'custody-7f3a9c2e' },
              ArnLike: { 'aws:PrincipalArn': Match.anyValue() },
            },
            Principal: { AWS: Match.anyValue() },
          }),
        ],
      },
    });
    const trust = JSON.stringify(
      storage.findResources('AWS::IAM::Role', { Properties: { RoleName: 'CustodyEvidenceWriter' } }),
    );
    expect(trust).toContain(':iam::111111111111:role/custody/*');
  });
});

describe('member accounts', () => {
  it('trusts only the orchestrator’s task roles presenting the external id, and creates the role in one region', () => {
    const roles = member.findResources('AWS::IAM::Role', { Properties: { RoleName: 'CustodyResponder' } });
    const [role] = Object.values(roles);
    expect(role.Condition).toBe('IsRoleRegion');
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
      StringEquals: { 'sts:ExternalId': 'custody-7f3a9c2e' },
      ArnLike: {
        'aws:PrincipalArn': {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/custody/*']],
        },
      },
    });
    member.hasCondition('IsRoleRegion', { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] });
  });

  it('shares snapshots with the forensics accounts and no one else', () => {
    const statement = roleStatements(member).find((s) => [s.Action].flat().includes('ec2:ModifySnapshotAttribute'))!;
    expect(statement.Condition).toEqual({
      'ForAllValues:StringEquals': { 'ec2:Add/userId': ['333333333333', '444444444444'] },
    });
  });

  it('changes instance attributes only on instances and security groups of its own account', () => {
    const statement = roleStatements(member).find((s) => [s.Action].flat().includes('ec2:ModifyInstanceAttribute'))!;
    const resources = JSON.stringify(statement.Resource);
    expect(resources).toContain(':instance/*');
    expect(resources).not.toMatch(/"\*"/);
  });
});

describe('the orchestrator', () => {
  const definition = readFileSync(join(projectRoot(), DEFAULT_DEFINITION), 'utf8');

  it('opens cases from GuardDuty findings on EC2 instances at or above the severity threshold', () => {
    orchestrator.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        detail: { resource: { resourceType: ['Instance'] }, severity: [{ numeric: ['>=', 7] }] },
      },
      Targets: [Match.objectLike({ Arn: Match.anyValue(), RoleArn: Match.anyValue() })],
    });
  });

  it('opens cases from the Security Hub custom action', () => {
    orchestrator.hasResourceProperties('AWS::SecurityHub::ActionTarget', { Id: 'CustodyCollect' });
    orchestrator.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.securityhub'],
        'detail-type': ['Security Hub Findings - Custom Action'],
        resources: [Match.anyValue()],
      },
    });
  });

  it('deploys the definition in statemachines/ unchanged but for its substitutions', () => {
    const [machine] = Object.values(orchestrator.findResources('AWS::StepFunctions::StateMachine'));
    expect(machine.Properties.DefinitionString).toBe(definition);
    const substitutions = machine.Properties.DefinitionSubstitutions as Record<
      string,
      { 'Fn::GetAtt': [string, string] }
    >;
    expect(Object.keys(substitutions).sort()).toEqual(placeholders(definition).sort());
    const deployed = substitute(
      definition,
      Object.fromEntries(Object.entries(substitutions).map(([k, v]) => [k, JSON.stringify(v)])),
    );
    expect(placeholders(deployed)).toEqual([]);
    expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.Properties.LoggingConfiguration.Level).toBe('ALL');
  });

  it('lets the state machine start its Distributed Map children and only describe or stop those', () => {
    const [machine] = Object.values(orchestrator.findResources('AWS::StepFunctions::StateMachine'));
    const role = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statesStatements = roleStatements(orchestrator)
      .filter((statement) => statement.role === role && JSON.stringify(statement.Action).includes('states:'))
      .map((statement) => ({ Action: statement.Action, Resource: JSON.stringify(statement.Resource) }));
    expect(statesStatements).toEqual([
      {
        Action: 'states:StartExecution',
        Resource: expect.stringMatching(/:states:eu-west-1:111111111111:stateMachine:custody-collect-evidence"/),
      },
      {
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Resource: expect.stringMatching(
          /:states:eu-west-1:111111111111:execution:custody-collect-evidence\/CollectTarget:\*"/,
        ),
      },
    ]);
    // The ARNs name the machine by its fixed name: a reference to its own ARN would be a circular dependency.
    for (const statement of statesStatements) expect(statement.Resource).not.toMatch(/"Ref":"StateMachine/);
  });

  it('runs one Node.js 22 arm64 Lambda with active tracing per Task state', () => {
    const states = taskStates(definition);
    expect(states.length).toBeGreaterThan(0);
    const functions = orchestrator.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } },
    });
    expect(Object.keys(functions)).toHaveLength(states.length);
  });

  it('alarms on failed and timed-out executions through the notification topic', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      orchestrator.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/States',
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('NotificationTopic') }],
      });
    }
  });
});
