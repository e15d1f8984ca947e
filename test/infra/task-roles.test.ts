import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_DEFINITION, readDefinition, taskStates } from '../../infra/asl';
import { importClosure } from '../../infra/policy/imports';
import { documentFiles } from '../../infra/stacks/member-stack';
import { projectRoot } from '../../tasks/lib/paths';
import { taskFileForState } from '../../tasks/lib/permissions';
import { actionsOf, exampleStacks, roleStatements } from './helpers';

const stacks = exampleStacks();
const orchestrator = Template.fromStack(stacks.orchestrator);
const member = Template.fromStack(stacks.member);
const states = taskStates(readDefinition(DEFAULT_DEFINITION));

/** The statements of the role of one task Lambda, found by the state name its construct is called after. */
function taskRoleStatements(state: string) {
  const roleId = Object.keys(orchestrator.findResources('AWS::IAM::Role', { Properties: { Path: '/custody/' } })).find(
    (id) => id.startsWith(`${state}Role`),
  );
  if (!roleId) throw new Error(`no role for ${state}`);
  return roleStatements(orchestrator).filter((statement) => statement.role === roleId);
}

const assumesResponder = (state: string) =>
  taskRoleStatements(state).some(
    (s) => actionsOf(s).includes('sts:AssumeRole') && JSON.stringify(s.Resource).includes(':role/CustodyResponder'),
  );

describe('task Lambdas', () => {
  it.each(states)('bundles an existing task module for %s', (state) => {
    expect(existsSync(join(projectRoot(), taskFileForState(state)))).toBe(true);
  });

  it('finds the modules a task imports at run time, and not the type-only ones', () => {
    const bundled = importClosure('tasks/render-report.ts');
    expect(bundled).toEqual(
      expect.arrayContaining(['tasks/render-report.ts', 'tasks/lib/report/sizes.ts', 'tasks/lib/aws.ts']),
    );
    expect(importClosure('tasks/check-snapshots.ts')).not.toContain('tasks/lib/task.ts');
  });

  it('lets Notify publish to the stack’s topic and update the Security Hub finding, and no other task do either', () => {
    for (const state of states) {
      const actions = taskRoleStatements(state).flatMap(actionsOf);
      const expected = state === 'Notify';
      expect([state, actions.includes('sns:Publish'), actions.includes('securityhub:BatchUpdateFindings')]).toEqual([
        state,
        expected,
        expected,
      ]);
    }
    const publish = taskRoleStatements('Notify').find((s) => actionsOf(s).includes('sns:Publish'))!;
    expect(publish.Resource).toEqual({ Ref: expect.stringMatching(/^NotificationTopic/) });
  });

  it('gives Notify the stack’s topic in its configuration, whatever the configuration file says', () => {
    const [fn] = Object.values(
      orchestrator.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { CUSTODY_STATE: 'Notify' } } },
      }),
    );
    expect(JSON.stringify(fn.Properties.Environment.Variables.CUSTODY_CONFIG)).toMatch(
      /snsTopicArn.*NotificationTopic/,
    );
    expect(fn.Properties.Environment.Variables.CUSTODY_ROLE_ARN).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^NotifyRole/), 'Arn'],
    });
  });

  it.each([
    'CaptureMemory',
    'CollectVolatileData',
    'CheckCommand',
    'RenderReport',
    'CollectLogs',
    'CheckSnapshotCopies',
    'PreserveInstance',
  ])('lets %s assume the responder role, because a module it bundles calls the member account', (state) =>
    expect(assumesResponder(state)).toBe(true),
  );

  it.each(['OpenCase', 'SealCase', 'ExamineEvidence', 'AnalyzeCase', 'Notify', 'Triage'])(
    'keeps %s out of member accounts',
    (state) => {
      expect(assumesResponder(state)).toBe(false);
    },
  );
});

describe('the capture documents', () => {
  const files = documentFiles(join(projectRoot(), 'infra', 'documents'));

  it('creates each document of infra/documents unchanged, under its file name', () => {
    expect(files.map((file) => file.split('/').pop())).toEqual([
      'Custody-LinuxMemoryCapture.json',
      'Custody-LinuxVolatileData.json',
      'Custody-WindowsMemoryCapture.json',
      'Custody-WindowsVolatileData.json',
    ]);
    for (const file of files) {
      member.hasResourceProperties('AWS::SSM::Document', {
        Name: file
          .split('/')
          .pop()!
          .replace(/\.json$/, ''),
        DocumentType: 'Command',
        Content: JSON.parse(readFileSync(file, 'utf8')),
      });
    }
  });

  it('lets the responder run only those documents, on instances of its own account', () => {
    const statement = roleStatements(member).find((s) => actionsOf(s).includes('ssm:SendCommand'))!;
    const resources = JSON.stringify(statement.Resource);
    for (const file of files)
      expect(resources).toContain(
        `:document/${file
          .split('/')
          .pop()!
          .replace(/\.json$/, '')}`,
      );
    expect(resources).toContain(':instance/*');
    expect(resources).not.toContain('AWS-Run');
    expect(resources).not.toContain('document/*');
  });
});
