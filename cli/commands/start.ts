// `custody start`: opens a case on the deployed state machine, after triaging the input locally so bad input never starts anything.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { CustodyConfig } from '../../tasks/lib/config';
import { InvalidInputError } from '../../tasks/lib/errors';
import { parseEventText, triage } from '../../tasks/triage';
import type { AwsContext, AwsOptions, CommandEnv } from '../aws-context';
import { announceIdentity, consoleLink, executionArnFor, loadCliConfig, resolveAwsContext } from '../aws-context';
import type { CliIo, ExitCode } from '../io';
import { EXIT } from '../io';
import { asDryRunRequest } from './dry-run';
import { describeOutput, exitFor, followExecution } from './status';

export interface StartOptions extends AwsOptions {
  readonly instance?: string;
  readonly account?: string;
  readonly event?: string;
  readonly dryRun?: boolean;
  readonly reason?: string;
  readonly requestedBy?: string;
  readonly caseId?: string;
  readonly wait?: boolean;
  /** Resume this case's failed, aborted or timed-out execution (cli/commands/resume.ts). */
  readonly resume?: string;
}

/** The execution input and the case triage opens from it; the case id is also the execution's name. */
interface Prepared {
  readonly input: Record<string, unknown>;
  readonly caseId: string;
  readonly mode: string;
}

export async function startCommand(options: StartOptions, io: CliIo, env: CommandEnv = {}): Promise<ExitCode> {
  const config = loadCliConfig(options, env);
  // Everything that can be refused locally is refused before any AWS call, so a typo never reaches an account.
  // --region here is the target's region; the orchestrator's is the state machine's, whatever the target.
  const context = resolveAwsContext({ ...options, region: undefined }, env, true, config);
  if (options.resume !== undefined)
    return resume(options as StartOptions & { resume: string }, config, context, io, env);
  const prepared = prepare(rawInput(options), options, config, context.region);
  await announceIdentity(context, io);
  io.out(`Case ${prepared.caseId} (${prepared.mode}) on ${context.stateMachineArn}`);
  if (prepared.mode === 'collect')
    io.out(
      '  collect mode: instances will be isolated and evidence written under Object Lock (run --dry-run first to rehearse)',
    );
  const executionArn = await startOrFind(context, prepared, io);
  return follow(options, prepared.caseId, executionArn, context, io, env);
}

/** A resume is its own path: the case and its input come from the execution it resumes, never from flags. */
async function resume(
  options: StartOptions & { resume: string },
  config: CustodyConfig,
  context: AwsContext,
  io: CliIo,
  env: CommandEnv,
): Promise<ExitCode> {
  const clashing = (['event', 'instance', 'account', 'caseId', 'dryRun'] as const).filter((name) => options[name]);
  if (clashing.length > 0)
    throw new InvalidInputError(
      `--resume takes the case's own input; it cannot be combined with ${clashing.map(flagOf).join(', ')}`,
    );
  const { assertCaseId, startResume } = await import('./resume');
  assertCaseId(options.resume);
  const { arn } = await announceIdentity(context, io);
  const started = await startResume(options, context, config, arn, io);
  return follow(options, started.caseId, started.executionArn, context, io, env);
}

function flagOf(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

async function follow(
  options: StartOptions,
  caseId: string,
  executionArn: string,
  context: AwsContext,
  io: CliIo,
  env: CommandEnv,
): Promise<ExitCode> {
  io.out(`Console: ${consoleLink(context.region, executionArn)}`);
  if (!options.wait) return EXIT.ok;
  const execution = await followExecution(context, executionArn, io, env);
  io.out('');
  io.out(`Case ${caseId}: ${execution.status}`);
  if (execution.error) io.out(`  ${execution.error}: ${execution.cause ?? ''}`);
  describeOutput(execution.output, io);
  return exitFor(execution.status);
}

/** The raw trigger: an event file, or a request built from the flags. */
type RawInput =
  | { readonly kind: 'event'; readonly event: Record<string, unknown> }
  | { readonly kind: 'instance'; readonly instanceId: string };

function rawInput(options: StartOptions): RawInput {
  if (options.event && options.instance)
    throw new InvalidInputError('give either --event FILE or --instance ID, not both');
  if (options.event) {
    let text: string;
    try {
      text = readFileSync(options.event === '-' ? 0 : options.event, 'utf8');
    } catch (error) {
      throw new InvalidInputError(
        `cannot read event file ${options.event}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
    }
    return { kind: 'event', event: parseEventText(text) as Record<string, unknown> };
  }
  if (!options.instance)
    throw new InvalidInputError('name the instance with --instance ID (and --account, --reason), or give --event FILE');
  return { kind: 'instance', instanceId: options.instance };
}

/** Builds the execution input and triages it exactly as the Triage state will, so the case id is known before starting. */
function prepare(raw: RawInput, options: StartOptions, config: CustodyConfig, orchestratorRegion: string): Prepared {
  const now = (): Date => new Date();
  let input: Record<string, unknown>;
  if (raw.kind === 'instance') {
    if (!options.account) throw new InvalidInputError("name the instance's account with --account ACCOUNT_ID");
    input = {
      mode: options.dryRun ? 'dry-run' : 'collect',
      targets: [
        { instanceId: raw.instanceId, accountId: options.account, region: options.region ?? orchestratorRegion },
      ],
      requestedBy: options.requestedBy ?? userInfo().username,
      reason: options.reason ?? '',
      ...(options.caseId ? { caseId: options.caseId } : {}),
    };
  } else {
    const asker = { requestedBy: options.requestedBy ?? userInfo().username, reason: options.reason };
    input = options.dryRun ? asDryRunRequest(raw.event, config, asker) : raw.event;
  }
  const custodyCase = triage(input, { config, now });
  // A request without a case id gets a fresh one in triage: pin it in the input so the execution opens this same case.
  const isRequest = !('detail-type' in input) && !('source' in input) && !('detail' in input);
  if (isRequest && !input.caseId) input = { ...input, caseId: custodyCase.caseId };
  return { input, caseId: custodyCase.caseId, mode: custodyCase.mode };
}

/**
 * Starts the execution named by the case id. Step Functions refuses a second execution with that name ("StartExecution",
 * API Reference: ExecutionAlreadyExists), which is what keeps a re-run from opening the case twice.
 */
async function startOrFind(context: AwsContext, prepared: Prepared, io: CliIo): Promise<string> {
  const sfn = context.clients.orchestrator(context.region).sfn();
  try {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: context.stateMachineArn,
        name: prepared.caseId,
        input: JSON.stringify(prepared.input),
      }),
    );
    const executionArn = started.executionArn ?? executionArnFor(context.stateMachineArn, prepared.caseId);
    io.out(`Started execution ${executionArn}`);
    return executionArn;
  } catch (error) {
    if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
  }
  const executionArn = executionArnFor(context.stateMachineArn, prepared.caseId);
  const existing = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  io.out(
    `Case ${prepared.caseId} was already started at ${existing.startDate?.toISOString() ?? '?'}: ${existing.status}; nothing new was started`,
  );
  return executionArn;
}
