// The task behind each Lambda placeholder of the ASL (`${NameFunctionArn}` → Name), for the local runner and the CDK app.
import type { z } from 'zod';
import type { TaskDefinition } from '../tasks/lib/handler';
import { openCaseTask } from '../tasks/open-case';
import { preserveInstanceTask } from '../tasks/preserve-instance';
import { summariseTargetTask } from '../tasks/summarise-target';
import { triageTask } from '../tasks/triage';

export type AnyTask = TaskDefinition<z.ZodType, unknown>;

/** Function name → task. Several states may share one function (IsolateNetwork and IsolateNetworkAfterCapture). */
export const TASKS: Readonly<Record<string, AnyTask>> = {
  Triage: triageTask as AnyTask,
  OpenCase: openCaseTask as AnyTask,
  PreserveInstance: preserveInstanceTask as AnyTask,
  SummariseTarget: summariseTargetTask as AnyTask,
};

/** Module file (under tasks/) of each function, for bundling one Lambda per task. */
export const TASK_FILES: Readonly<Record<string, string>> = {
  Triage: 'triage.ts',
  OpenCase: 'open-case.ts',
  PreserveInstance: 'preserve-instance.ts',
  SummariseTarget: 'summarise-target.ts',
};
