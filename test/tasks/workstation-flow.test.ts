import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import '../../statemachines/polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import { attachEvidenceVolumesTask } from '../../tasks/attach-evidence-volumes';
import { checkExaminationTask } from '../../tasks/check-examination';
import { cleanupWorkstationTask } from '../../tasks/cleanup-workstation';
import type { AnyTask } from '../../statemachines/tasks';
import { runTask } from '../../tasks/lib/handler';
import type { TaskDeps } from '../../tasks/lib/task';
import { runExaminationTask } from '../../tasks/run-examination';
import { startWorkstationTask } from '../../tasks/start-workstation';
import { FORENSICS, REGION } from '../helpers/disk-and-memory';
import { collected, workstationCase, workstationScenario } from './workstation.helpers';

// The ExamineOnWorkstation Map as handed to the lead for statemachines/collect-evidence.asl.json (docs/workstation.md).
const FRAGMENT = JSON.parse(readFileSync(join(__dirname, 'workstation-flow.asl.json'), 'utf8')) as Record<
  string,
  Record<string, unknown>
>;
const TASKS = [
  startWorkstationTask,
  attachEvidenceVolumesTask,
  runExaminationTask,
  checkExaminationTask,
  cleanupWorkstationTask,
] as unknown as AnyTask[];

async function runFragment(input: unknown, deps: TaskDeps): Promise<Record<string, unknown>> {
  const { Next: _next, ...map } = { ...FRAGMENT.ExamineOnWorkstation, End: true } as Record<string, unknown>;
  void _next;
  const text = JSON.stringify({ StartAt: 'ExamineOnWorkstation', States: { ExamineOnWorkstation: map } }).replace(
    /\$\{(\w+)FunctionArn\}/g,
    'arn:aws:lambda:eu-west-1:000000000000:function:custody-$1',
  );
  const handlers = Object.fromEntries(
    TASKS.map((task) => [task.name, (state: never) => runTask(task.schema, task.core, state, deps)]),
  );
  const machine = new StateMachine(JSON.parse(text), { validationOptions: { checkPaths: true, checkArn: true } });
  const waits = { WaitForWorkstation: 0, WaitForExamination: 0, WaitForCleanup: 0 };
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: waits },
  });
  return (await execution.result) as Record<string, unknown>;
}

describe('the ExamineOnWorkstation states', () => {
  it('examines the target, then cleans up: the workstation is terminated and its volumes deleted', async () => {
    const kase = workstationCase();
    const ctx = await collected(workstationScenario(), kase);
    const output = await runFragment({ case: kase }, ctx.deps);
    const [result] = output.workstations as Array<{ cleaned: boolean; gaps: unknown[] }>;
    expect(result).toMatchObject({ cleaned: true, gaps: [] });
    const forensics = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(forensics.volumes).toEqual([]);
    expect(forensics.instances.map((instance) => instance.state)).toEqual(['terminated']);
    expect(
      ctx.events.filter(
        (event) => event.action === 'artifact.acquired' && event.artifact?.key.includes('/examination/'),
      ),
    ).toHaveLength(5);
  });

  it('reaches CleanupWorkstation through the Catch when a state fails, and names the failure', async () => {
    const kase = workstationCase();
    const fault = {
      service: 'EC2',
      operation: 'DescribeVolumes',
      error: 'UnauthorizedOperation',
      message: 'denied',
      accountId: FORENSICS,
      // AttachEvidenceVolumes describes its volumes by id; StartWorkstation's lookup by tag is left alone.
      match: 'VolumeIds',
      times: 1,
    };
    const ctx = await collected(
      workstationScenario((s) => s.faults.push(fault)),
      kase,
    );
    const output = await runFragment({ case: kase }, ctx.deps);
    const [result] = output.workstations as Array<{ cleaned: boolean; failures: Record<string, { Error: string }> }>;
    expect(result.cleaned).toBe(true);
    expect(result.failures.AttachEvidenceVolumes.Error).toBe('UnauthorizedOperation');
    const forensics = ctx.env.sandbox.regionState(FORENSICS, REGION);
    expect(forensics.volumes).toEqual([]);
    expect(forensics.instances.map((instance) => instance.state)).toEqual(['terminated']);
  });
});
