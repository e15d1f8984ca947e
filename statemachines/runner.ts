// The local runner: executes the ASL file unchanged with aws-local-stepfunctions, each Task answered by its task module.
import './polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import { CaseSchema } from '../tasks/lib/case';
import type { Case } from '../tasks/lib/case';
import { runTask } from '../tasks/lib/handler';
import type { TaskDeps } from '../tasks/lib/task';
import { COLLECT_EVIDENCE, functionOf, listStates, placeholders, readDefinitionText, substitute } from './definition';
import type { StateInfo } from './definition';
import { DataLimitExceeded, HistoryCounter, PAYLOAD_QUOTA_BYTES, payloadBytes } from './limits';
import type { ExecutionHistory, StatePayload } from './limits';
import { phaseOf } from './phases';
import type { Phase } from './phases';
import { TASKS } from './tasks';
import type { AnyTask } from './tasks';

export type { Phase } from './phases';

export interface ProgressEvent {
  readonly kind:
    | 'started'
    | 'finished'
    | 'failed'
    | 'retried'
    | 'caught'
    | 'iteration-started'
    | 'iteration-succeeded'
    | 'iteration-failed'
    | 'execution-succeeded'
    | 'execution-failed';
  readonly phase: Phase;
  /** The state; for an iteration event, the Map it belongs to. */
  readonly state?: string;
  /** Index of the Map iteration (the target) for states inside the Collect map. */
  readonly targetIndex?: number;
  /** For a Map entering: how many items its ItemsPath names (the targets of CollectTargets). */
  readonly items?: number;
  readonly error?: string;
  readonly at: number;
}

export interface RunOptions {
  readonly deps: TaskDeps;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Milliseconds each Wait state and retry pause lasts locally (default 0: polls run back to back). */
  readonly waitMs?: number;
  readonly tasks?: Readonly<Record<string, AnyTask>>;
  readonly definitionName?: string;
  /**
   * Local TimeoutSeconds per Task state name (e.g. a scenario's `stateTimeouts`), applied to the in-memory copy of the
   * definition so a timeout is exercised in seconds; the file on disk, which CDK deploys, is unchanged.
   */
  readonly timeoutOverrides?: Readonly<Record<string, number>>;
}

export interface RunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: { readonly name: string; readonly cause: string };
  readonly transitions: number;
  /**
   * The execution with the longest history as AWS would count it: the parent, or one child execution of a Distributed
   * Map (each has a history of its own). It is what meets the 25,000-event quota first.
   */
  readonly largestHistory: ExecutionHistory;
  /** Every execution's history: the parent (`execution`) and each Distributed Map child. */
  readonly histories: readonly ExecutionHistory[];
  /** The largest input or output any state had, against the 256 KiB payload quota. */
  readonly largestPayload: StatePayload;
  /** The case OpenCase opened (absent for a rejected or duplicate trigger): a failed run still names its case folder. */
  readonly openedCase?: Case;
}

/** Local stand-ins for the Lambda ARNs, so the definition validates as it will in AWS. */
function localSubstitutions(text: string, region: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of placeholders(text)) {
    values[name] = `arn:aws:lambda:${region}:000000000000:function:custody-${name.replace(/FunctionArn$/, '')}`;
  }
  return values;
}

export async function runCollectEvidence(input: unknown, options: RunOptions): Promise<RunResult> {
  const text = readDefinitionText(options.definitionName ?? COLLECT_EVIDENCE);
  const rawDefinition = JSON.parse(text) as unknown;
  const states = listStates(rawDefinition);
  const byName = new Map(states.map((state) => [state.name, state]));
  const tasks = options.tasks ?? TASKS;
  type LocalHandler = (input: JsonValue) => Promise<JsonValue>;
  const handlers: Record<string, LocalHandler> = {};
  for (const state of states.filter((candidate) => candidate.type === 'Task')) {
    const fn = functionOf(state.resource);
    const task = fn ? tasks[fn] : undefined;
    if (!task) throw new Error(`state ${state.name} (${state.resource}) has no task module`);
    handlers[state.name] = async (stateInput) =>
      (await runTask(task.schema, task.core, stateInput, options.deps)) as JsonValue;
  }
  const waits = Object.fromEntries(
    states.filter((state) => state.type === 'Wait').map((state) => [state.name, options.waitMs ?? 0]),
  );
  const retries = Object.fromEntries(
    states.filter((state) => state.type === 'Task').map((state) => [state.name, options.waitMs ?? 0]),
  );
  const definition = JSON.parse(substitute(text, localSubstitutions(text, 'us-east-1'))) as ConstructorParameters<
    typeof StateMachine
  >[0];
  overrideTimeouts(definition, options.timeoutOverrides ?? {});
  const machine = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } });
  const executionArn = options.deps.actor.execution;
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    // The context object's Execution.Id and Name, as Step Functions sets them ("Context object", Step Functions guide).
    context: { Execution: { Id: executionArn, Name: executionArn.split(':').pop() ?? executionArn } },
  });
  let transitions = 0;
  let openedCase: Case | undefined;
  const history = new HistoryCounter(byName);
  let overLimit: DataLimitExceeded | undefined;
  let largestPayload: StatePayload = { state: '', direction: 'input', bytes: 0 };
  const progress = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') transitions += 1;
      if (event.type === 'StateExited' && event.state.name === 'OpenCase')
        openedCase = caseOpenedBy(event.state.output);
      history.add(event);
      const payload = statePayload(event);
      if (payload && payload.bytes > largestPayload.bytes) largestPayload = payload;
      if (!overLimit && payload && payload.bytes > PAYLOAD_QUOTA_BYTES) {
        overLimit = new DataLimitExceeded(payload.state, payload.direction, payload.bytes);
        execution.abort();
      }
      const mapped = toProgress(event, byName);
      if (mapped) options.onProgress?.(mapped);
    }
  })();
  const counted = () => ({
    transitions,
    openedCase,
    largestHistory: history.largest(),
    histories: history.executions(),
    largestPayload,
  });
  try {
    const output = await execution.result;
    await progress;
    if (overLimit) return { status: 'FAILED', error: limitError(overLimit), ...counted() };
    return { status: 'SUCCEEDED', output, ...counted() };
  } catch (error) {
    await progress.catch(() => undefined);
    if (overLimit) return { status: 'FAILED', error: limitError(overLimit), ...counted() };
    const failure = error as { cause?: { name?: string; message?: string }; name?: string; message?: string };
    const name = failure.cause?.name ?? failure.name ?? 'Error';
    const cause = failure.cause?.message ?? failure.message ?? String(error);
    return { status: 'FAILED', error: { name, cause }, ...counted() };
  }
}

/** OpenCase's output carries the case it opened under `case`, and `opened` only when it did open it (not a duplicate). */
function caseOpenedBy(output: unknown): Case | undefined {
  const state = output as { case?: unknown; opened?: unknown } | null;
  if (!state?.opened) return undefined;
  const parsed = CaseSchema.safeParse(state.case);
  return parsed.success ? parsed.data : undefined;
}

/** The input a state entered with or the output it left with; over the quota, AWS fails the execution (limits.ts). */
function statePayload(event: EventLog): StatePayload | undefined {
  if (event.type !== 'StateEntered' && event.type !== 'StateExited') return undefined;
  const direction = event.type === 'StateEntered' ? 'input' : 'output';
  const bytes = payloadBytes(direction === 'input' ? event.state.input : event.state.output);
  return { state: event.state.name, direction, bytes };
}

function limitError(limit: DataLimitExceeded): { name: string; cause: string } {
  return { name: limit.name, cause: limit.message };
}

/** Sets TimeoutSeconds of the named Task states, at any depth (Map item processors, Parallel branches). */
function overrideTimeouts(definition: unknown, overrides: Readonly<Record<string, number>>): void {
  if (Object.keys(overrides).length === 0) return;
  const visit = (states: Record<string, Record<string, unknown>> | undefined): void => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (state.Type === 'Task' && overrides[name] !== undefined) state.TimeoutSeconds = overrides[name];
      const processor = (state.ItemProcessor ?? state.Iterator) as
        { States?: Record<string, Record<string, unknown>> } | undefined;
      visit(processor?.States);
      for (const branch of (state.Branches ?? []) as { States?: Record<string, Record<string, unknown>> }[])
        visit(branch.States);
    }
  };
  visit((definition as { States?: Record<string, Record<string, unknown>> }).States);
}

type EventLog = RunEvents extends AsyncGenerator<infer E> ? E : never;
type RunEvents = ReturnType<StateMachine['run']>['eventLogs'];
type JsonValue = Parameters<StateMachine['run']>[0];

const KIND = {
  StateEntered: 'started',
  StateExited: 'finished',
  StateFailed: 'failed',
  StateRetried: 'retried',
  StateCaught: 'caught',
} as const;

const ITERATION_KIND = {
  MapIterationStarted: 'iteration-started',
  MapIterationSucceeded: 'iteration-succeeded',
  MapIterationFailed: 'iteration-failed',
} as const;

/** The number of items a Map's `ItemsPath` (a plain `$.a.b` path) names in its input. */
function itemCount(info: StateInfo | undefined, input: unknown): number | undefined {
  if (info?.type !== 'Map' || !info.itemsPath?.startsWith('$')) return undefined;
  let value = input;
  for (const part of info.itemsPath.split('.').slice(1))
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  return Array.isArray(value) ? value.length : undefined;
}

function toProgress(event: EventLog, byName: ReadonlyMap<string, StateInfo>): ProgressEvent | undefined {
  const at = event.timestamp;
  switch (event.type) {
    case 'StateEntered':
    case 'StateExited':
    case 'StateFailed':
    case 'StateRetried':
    case 'StateCaught': {
      const info = byName.get(event.state.name);
      const kind = KIND[event.type];
      const error = event.type === 'StateFailed' ? `${event.Error}: ${String(event.Cause)}` : undefined;
      const items = event.type === 'StateEntered' ? itemCount(info, event.state.input) : undefined;
      const base = { kind, phase: phaseOf(info), state: event.state.name, targetIndex: event.index, error, at };
      return items === undefined ? base : { ...base, items };
    }
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed': {
      const kind = ITERATION_KIND[event.type];
      const info = byName.get(event.parentState.name);
      return { kind, phase: phaseOf(info), state: event.parentState.name, targetIndex: event.index, at };
    }
    case 'ExecutionSucceeded':
      return { kind: 'execution-succeeded', phase: 'report', at };
    case 'ExecutionFailed':
      return { kind: 'execution-failed', phase: 'report', error: `${event.Error}: ${String(event.Cause)}`, at };
    default:
      return undefined;
  }
}
