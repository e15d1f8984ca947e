// Step Functions in the sandbox: StartExecution really runs the ASL with the local runner, and its history reads like AWS's.
import type {
  DescribeExecutionCommandInput,
  DescribeExecutionCommandOutput,
  GetExecutionHistoryCommandInput,
  GetExecutionHistoryCommandOutput,
  HistoryEvent,
  ListExecutionsCommandInput,
  ListExecutionsCommandOutput,
  StartExecutionCommandInput,
  StartExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { v4 as uuidv4 } from 'uuid';
import { createClientFactory } from '../../tasks/lib/aws';
import { parseConfig } from '../../tasks/lib/config';
import { awsError } from '../errors';
import type { SandboxEnvironment } from '../index';
import type { CallContext, Sandbox } from '../sandbox';
import type { AccountState, ExecutionState, HistoryEventState } from '../scenario';
import type { RunOptions } from '../../statemachines/runner';
import { MapRunTracker, describeMapRun } from './sfn-map-runs';

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([^:]{1,80})$/;
/** Characters an execution name may not contain ("StartExecution", API Reference): whitespace, brackets, wildcards, specials. */
const FORBIDDEN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

function hasControlCharacter(name: string): boolean {
  return [...name].some((char) => {
    const code = char.charCodeAt(0);
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
}

/** Executions still running per sandbox, so tests and the tabletop can wait for them to settle. */
const running = new WeakMap<Sandbox, Set<Promise<void>>>();

/** How a sandbox runs executions: which task module answers each Lambda placeholder (RunOptions.tasks; default: all of TASKS). */
export interface ExecutionSettings {
  readonly tasks?: RunOptions['tasks'];
  readonly waitMs?: number;
}
const settings = new WeakMap<Sandbox, ExecutionSettings>();

export function configureExecutions(sandbox: Sandbox, value: ExecutionSettings): void {
  settings.set(sandbox, value);
}

/** Resolves once every execution started in this sandbox so far has finished. */
export async function executionsSettled(sandbox: Sandbox): Promise<void> {
  const pending = running.get(sandbox);
  while (pending && pending.size > 0) await Promise.all([...pending]);
}

function stateMachineOf(ctx: CallContext, arn: string | undefined): { arn: string; definition: string } {
  const match = STATE_MACHINE_ARN.exec(arn ?? '');
  if (!match) throw awsError('InvalidArn', `Invalid Arn: '${arn ?? ''}'`);
  const machine = ctx.account.stateMachines?.find((candidate) => candidate.arn === arn);
  if (!machine || match[1] !== ctx.region)
    throw awsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return machine;
}

function executionOf(ctx: CallContext, arn: string | undefined): ExecutionState {
  if (!EXECUTION_ARN.test(arn ?? '')) throw awsError('InvalidArn', `Invalid Arn: '${arn ?? ''}'`);
  const execution = ctx.account.executions?.find((candidate) => candidate.executionArn === arn);
  if (!execution) throw awsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return execution;
}

// "StartExecution" (API Reference): a name is unique per state machine for 90 days; the same name and input while the first is
// still open returns it (idempotent), anything else is ExecutionAlreadyExists.
function startExecution(ctx: CallContext, input: StartExecutionCommandInput): Partial<StartExecutionCommandOutput> {
  const machine = stateMachineOf(ctx, input.stateMachineArn);
  const name = input.name ?? uuidv4();
  if (name.length > 80 || FORBIDDEN_NAME.test(name) || hasControlCharacter(name))
    throw awsError('InvalidName', `Invalid Name: '${name}'`);
  const body = input.input ?? '{}';
  try {
    JSON.parse(body);
  } catch {
    throw awsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
  }
  const executions = (ctx.account.executions ??= []);
  const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
  const existing = executions.find((candidate) => candidate.executionArn === executionArn);
  if (existing) {
    if (existing.status === 'RUNNING' && existing.input === body)
      return { executionArn, startDate: new Date(existing.startDate) };
    throw awsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
  }
  const startDate = new Date().toISOString();
  const execution: ExecutionState = {
    executionArn,
    stateMachineArn: machine.arn,
    name,
    status: 'RUNNING',
    input: body,
    startDate,
    history: [
      {
        id: 1,
        previousEventId: 0,
        type: 'ExecutionStarted',
        timestamp: startDate,
        executionStartedEventDetails: { input: body },
      },
    ],
  };
  executions.push(execution);
  track(ctx.sandbox, run(ctx.sandbox, execution, machine.definition));
  return { executionArn, startDate: new Date(startDate) };
}

function track(sandbox: Sandbox, promise: Promise<void>): void {
  const pending = running.get(sandbox) ?? new Set<Promise<void>>();
  running.set(sandbox, pending);
  pending.add(promise);
  void promise.finally(() => pending.delete(promise));
}

/** Runs the execution with the local runner against this same sandbox, recording each state as a history event. */
async function run(sandbox: Sandbox, execution: ExecutionState, definitionName: string): Promise<void> {
  // Loaded lazily: the runner pulls in every task module, which the rest of the sandbox does not need.
  const [{ runCollectEvidence }, { sandboxDeps }, { listStates, readDefinitionText }] = await Promise.all([
    import('../../statemachines/runner'),
    import('../deps'),
    import('../../statemachines/definition'),
  ]);
  const states = listStates(JSON.parse(readDefinitionText(definitionName)) as unknown);
  const byName = new Map(states.map((state) => [state.name, state]));
  const mapRuns = new MapRunTracker(sandbox, execution, byName);
  const append = (type: string, details: Record<string, unknown>): void => {
    const last = execution.history[execution.history.length - 1];
    execution.history.push({
      id: last.id + 1,
      previousEventId: last.id,
      type,
      timestamp: new Date().toISOString(),
      ...details,
    });
  };
  try {
    const result = await runCollectEvidence(JSON.parse(execution.input) as unknown, {
      deps: sandboxDeps(environmentOf(sandbox), execution.name),
      definitionName,
      ...settings.get(sandbox),
      onProgress: (event) => {
        if (!event.state) return;
        if (mapRuns.owns(event)) return mapRuns.child(event);
        const type = byName.get(event.state)?.type ?? 'Task';
        if (event.kind === 'started') {
          append(`${type}StateEntered`, { stateEnteredEventDetails: { name: event.state } });
          mapRuns.entered(event, append);
        }
        if (event.kind === 'finished' && type !== 'Fail') {
          mapRuns.ended(event, append);
          append(`${type}StateExited`, { stateExitedEventDetails: { name: event.state } });
        }
        if (event.kind === 'failed') {
          mapRuns.ended(event, append);
          failedEvent(type, event.error ?? '', append);
        }
      },
    });
    const stopDate = new Date().toISOString();
    if (result.status === 'SUCCEEDED') {
      const output = JSON.stringify(result.output ?? null);
      Object.assign(execution, { status: 'SUCCEEDED', output, stopDate });
      append('ExecutionSucceeded', { executionSucceededEventDetails: { output } });
      return;
    }
    const { name: error, cause } = result.error ?? { name: 'States.Runtime', cause: 'the execution failed' };
    Object.assign(execution, { status: 'FAILED', error, cause, stopDate });
    append('ExecutionFailed', { executionFailedEventDetails: { error, cause } });
  } catch (failure) {
    const cause = failure instanceof Error ? failure.message : String(failure);
    Object.assign(execution, { status: 'FAILED', error: 'States.Runtime', cause, stopDate: new Date().toISOString() });
    append('ExecutionFailed', { executionFailedEventDetails: { error: 'States.Runtime', cause } });
  }
}

/** A Lambda-backed Task that throws is recorded as LambdaFunctionFailed ("HistoryEvent", API Reference). */
function failedEvent(
  type: string,
  message: string,
  append: (type: string, details: Record<string, unknown>) => void,
): void {
  const [error, ...rest] = message.split(': ');
  const details = { error, cause: rest.join(': ') };
  if (type === 'Task') append('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: details });
  if (type === 'Map') append('MapStateFailed', {});
}

function environmentOf(sandbox: Sandbox): SandboxEnvironment {
  const config = parseConfig(sandbox.scenario.config);
  const orchestratorAccountId = sandbox.scenario.orchestratorAccountId;
  return {
    sandbox,
    scenario: sandbox.scenario,
    config,
    clients: (sessionName = 'custody-execution') =>
      createClientFactory({ config, sessionName, interceptor: sandbox, orchestratorAccountId }),
  };
}

function describeExecution(
  ctx: CallContext,
  input: DescribeExecutionCommandInput,
): Partial<DescribeExecutionCommandOutput> {
  const execution = executionOf(ctx, input.executionArn);
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: new Date(execution.startDate),
    stopDate: execution.stopDate ? new Date(execution.stopDate) : undefined,
    input: execution.input,
    output: execution.output,
    error: execution.error,
    cause: execution.cause,
  };
}

/** Pages of at most maxResults (default 100, max 1000) with an opaque nextToken, as "GetExecutionHistory" documents. */
function page<T>(
  items: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
): { items: T[]; nextToken?: string } {
  const size = Math.min(maxResults && maxResults > 0 ? maxResults : 100, 1000);
  const start = nextToken === undefined ? 0 : Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw awsError('InvalidToken', `Invalid Token: '${nextToken}'`);
  const end = start + size;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

function toHistoryEvent(event: HistoryEventState): HistoryEvent {
  return { ...event, timestamp: new Date(event.timestamp) } as HistoryEvent;
}

function getExecutionHistory(
  ctx: CallContext,
  input: GetExecutionHistoryCommandInput,
): Partial<GetExecutionHistoryCommandOutput> {
  const execution = executionOf(ctx, input.executionArn);
  const ordered = input.reverseOrder ? [...execution.history].reverse() : execution.history;
  const { items, nextToken } = page(ordered, input.maxResults, input.nextToken);
  return { events: items.map(toHistoryEvent), nextToken };
}

// "ListExecutions" (API Reference): results are sorted by time, the most recent execution first.
function listExecutions(ctx: CallContext, input: ListExecutionsCommandInput): Partial<ListExecutionsCommandOutput> {
  const machine = stateMachineOf(ctx, input.stateMachineArn);
  const matching = executionsOf(ctx.account)
    .filter((execution) => execution.stateMachineArn === machine.arn)
    .filter((execution) => !input.statusFilter || execution.status === input.statusFilter)
    .reverse()
    .sort((a, b) => b.startDate.localeCompare(a.startDate));
  const { items, nextToken } = page(matching, input.maxResults, input.nextToken);
  return {
    executions: items.map((execution) => ({
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: new Date(execution.startDate),
      stopDate: execution.stopDate ? new Date(execution.stopDate) : undefined,
    })),
    nextToken,
  };
}

function executionsOf(account: AccountState): ExecutionState[] {
  return account.executions ?? [];
}

export const sfn = {
  StartExecution: startExecution,
  DescribeExecution: describeExecution,
  GetExecutionHistory: getExecutionHistory,
  ListExecutions: listExecutions,
  DescribeMapRun: describeMapRun,
};
