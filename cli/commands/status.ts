// `custody status CASE|ARN`: where a case's execution is (phase reached, failed states, outcome), read from Step Functions history.
import { DescribeExecutionCommand, DescribeMapRunCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import type { DescribeExecutionCommandOutput, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { phaseLookup } from '../../statemachines/phases';
import type { Phase } from '../../statemachines/phases';
import { InvalidInputError } from '../../tasks/lib/errors';
import type { AwsContext, AwsOptions, CommandEnv } from '../aws-context';
import { consoleLink, executionArnFor, realSleep, resolveAwsContext } from '../aws-context';
import type { CliIo, ExitCode } from '../io';
import { EXIT } from '../io';
import { executionsOf } from './resume';

const TERMINAL = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);

/** Every history event of an execution, oldest first, following nextToken ("GetExecutionHistory", API Reference). */
export async function readHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** What a responder needs from a history: the phase reached, the states that failed, whether it has ended. */
export interface HistorySummary {
  readonly phase: Phase | undefined;
  readonly failedStates: readonly { state: string; error: string }[];
  readonly ended: boolean;
}

/** Renders history events as progress lines, remembering the phase and the last Task between calls (for polling). */
export function historyRenderer(io: CliIo): {
  render(events: readonly HistoryEvent[]): void;
  summary(): HistorySummary;
} {
  const phaseOf = phaseLookup();
  let phase: Phase | undefined;
  let lastTask = '';
  let ended = false;
  const failedStates: { state: string; error: string }[] = [];
  const render = (event: HistoryEvent): void => {
    const entered = event.stateEnteredEventDetails?.name;
    if (entered) {
      const next = phaseOf(entered);
      if (next !== phase) io.out(`== ${next}`);
      phase = next;
      if (event.type === 'TaskStateEntered') lastTask = entered;
    }
    const exited = event.stateExitedEventDetails?.name;
    if (exited && event.type === 'TaskStateExited') io.out(`   ok      ${exited}`);
    const failed = event.lambdaFunctionFailedEventDetails ?? event.taskFailedEventDetails;
    if (failed) {
      const error = `${failed.error ?? 'Error'}: ${failed.cause ?? ''}`.slice(0, 300);
      failedStates.push({ state: lastTask, error });
      io.out(`   failed  ${lastTask}: ${error}`);
    }
    if (event.type && TERMINAL.has(event.type)) ended = true;
  };
  return {
    render: (events) => events.forEach(render),
    summary: () => ({ phase, failedStates, ended }),
  };
}

/**
 * A Distributed Map's children keep their states in their own histories, so the parent's shows only MapRunStarted; the
 * Map Run's item counts ("DescribeMapRun", API Reference) say how far it is, printed whenever they change.
 */
export function mapRunReporter(
  sfn: SFNClient,
  io: CliIo,
  label = '   targets ',
): {
  track(events: readonly HistoryEvent[]): void;
  report(): Promise<void>;
} {
  const active = new Set<string>();
  const printed = new Map<string, string>();
  return {
    track: (events) => {
      for (const event of events) {
        const arn = event.mapRunStartedEventDetails?.mapRunArn;
        if (event.type === 'MapRunStarted' && arn) active.add(arn);
      }
    },
    report: async () => {
      for (const mapRunArn of active) {
        const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
        const counts = run.itemCounts;
        const done =
          (counts?.succeeded ?? 0) + (counts?.failed ?? 0) + (counts?.timedOut ?? 0) + (counts?.aborted ?? 0);
        const line = `${label}${done} of ${counts?.total ?? '?'} done (${counts?.failed ?? 0} failed, ${counts?.running ?? 0} running)`;
        if (printed.get(mapRunArn) !== line) io.out(line);
        printed.set(mapRunArn, line);
        if (run.status !== 'RUNNING') active.delete(mapRunArn);
      }
    },
  };
}

/** Polls an execution's history until it ends, printing each new event once; returns its final description. */
export async function followExecution(
  context: AwsContext,
  executionArn: string,
  io: CliIo,
  env: CommandEnv,
): Promise<DescribeExecutionCommandOutput> {
  const sfn = context.clients.orchestrator(context.region).sfn();
  const renderer = historyRenderer(io);
  const mapRuns = mapRunReporter(sfn, io);
  const sleep = env.sleep ?? realSleep;
  let seen = 0;
  for (;;) {
    const events = await readHistory(sfn, executionArn);
    const fresh = events.filter((event) => (event.id ?? 0) > seen);
    renderer.render(fresh);
    mapRuns.track(fresh);
    await mapRuns.report();
    seen = Math.max(seen, ...fresh.map((event) => event.id ?? 0));
    if (renderer.summary().ended) break;
    await sleep(env.pollMs ?? 5000);
  }
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

/** The parts of the state machine's output a responder reads first. */
interface CaseOutput {
  readonly case?: { readonly caseId?: string; readonly mode?: string };
  readonly targets?: readonly {
    readonly target?: { readonly instanceId?: string };
    readonly status?: string;
    /** A target's summary counts its gaps (the gaps themselves are in its `target.summarised` custody entry). */
    readonly gapCount?: number;
    readonly gaps?: readonly unknown[];
  }[];
  readonly duplicate?: unknown;
}

/** One line per target and a count of gaps, from the execution's output JSON. */
export function describeOutput(output: string | undefined, io: CliIo): void {
  if (!output) return;
  let parsed: CaseOutput;
  try {
    parsed = JSON.parse(output) as CaseOutput;
  } catch {
    io.out('Output:  (not JSON)');
    return;
  }
  if (parsed.duplicate) io.out('Outcome: duplicate trigger, the case was already open');
  for (const summary of parsed.targets ?? []) {
    io.out(
      `Target:  ${summary.target?.instanceId ?? '?'} ${summary.status ?? '?'} (${summary.gapCount ?? summary.gaps?.length ?? 0} gap(s))`,
    );
  }
}

export function exitFor(status: string | undefined): ExitCode {
  return status === 'SUCCEEDED' || status === 'RUNNING' ? EXIT.ok : EXIT.failed;
}

export type StatusOptions = AwsOptions;

export async function statusCommand(
  caseOrArn: string,
  options: StatusOptions,
  io: CliIo,
  env: CommandEnv = {},
): Promise<ExitCode> {
  const context = resolveAwsContext(options, env, false);
  if (!caseOrArn.startsWith('arn:') && !/^[0-9a-f-]{36}$/i.test(caseOrArn))
    throw new InvalidInputError(`not a case id or execution ARN: ${caseOrArn}`);
  const sfn = context.clients.orchestrator(context.region).sfn();
  // A case id means the case's latest execution: a resumed case runs on as `<caseId>-resume-<n>`.
  const executions = caseOrArn.startsWith('arn:') ? [] : await executionsOf(sfn, context.stateMachineArn, caseOrArn);
  const executionArn = caseOrArn.startsWith('arn:')
    ? caseOrArn
    : (executions[executions.length - 1]?.executionArn ?? executionArnFor(context.stateMachineArn, caseOrArn));
  let execution: DescribeExecutionCommandOutput;
  try {
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist')
      throw new InvalidInputError(`no execution for ${caseOrArn} in ${context.stateMachineArn}`);
    throw error;
  }
  const quiet: CliIo = { out: () => undefined, err: io.err };
  const renderer = historyRenderer(quiet);
  const events = await readHistory(sfn, executionArn);
  renderer.render(events);
  const summary = renderer.summary();
  const caseId = (execution.name ?? '').replace(/-resume-\d+$/, '');
  io.out(`Case:    ${caseId}`);
  if (execution.name !== caseId) io.out(`Run:     ${execution.name} (a resume of the case)`);
  io.out(`Status:  ${execution.status}${execution.stopDate ? ` (ended ${execution.stopDate.toISOString()})` : ''}`);
  io.out(`Started: ${execution.startDate?.toISOString() ?? '?'}`);
  io.out(`Phase:   ${summary.phase ?? 'not started'}`);
  const mapRuns = mapRunReporter(sfn, io, 'Targets: ');
  mapRuns.track(events);
  await mapRuns.report();
  for (const failed of summary.failedStates) io.out(`Failed:  ${failed.state}: ${failed.error}`);
  if (execution.error) io.out(`Error:   ${execution.error}: ${execution.cause ?? ''}`);
  describeOutput(execution.output, io);
  io.out(`Console: ${consoleLink(context.region, executionArn)}`);
  return exitFor(execution.status);
}
