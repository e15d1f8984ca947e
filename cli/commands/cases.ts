// `custody cases`: the most recent executions of the deployed state machine, one line per case.
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import type { ExecutionListItem, ExecutionStatus } from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../../tasks/lib/errors';
import type { AwsOptions, CommandEnv } from '../aws-context';
import { resolveAwsContext } from '../aws-context';
import type { CliIo, ExitCode } from '../io';
import { EXIT } from '../io';

export interface CasesOptions extends AwsOptions {
  /** How many executions to list (default 20). */
  readonly limit?: number | string;
  readonly status?: string;
  readonly json?: boolean;
}

const STATUSES: readonly string[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

export async function casesCommand(options: CasesOptions, io: CliIo, env: CommandEnv = {}): Promise<ExitCode> {
  const limit = Number(options.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new InvalidInputError('--limit takes a whole number from 1 to 1000');
  const status = options.status?.toUpperCase();
  if (status && !STATUSES.includes(status)) throw new InvalidInputError(`--status takes one of ${STATUSES.join(', ')}`);
  const context = resolveAwsContext(options, env, false);
  const sfn = context.clients.orchestrator(context.region).sfn();
  // "ListExecutions" (API Reference): most recent first, paginated by nextToken.
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: context.stateMachineArn,
        statusFilter: status as ExecutionStatus | undefined,
        maxResults: Math.min(limit - executions.length, 1000),
        nextToken,
      }),
    );
    executions.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && executions.length < limit);
  if (options.json) {
    io.out(
      JSON.stringify(
        executions.map((execution) => ({
          caseId: execution.name,
          status: execution.status,
          startDate: execution.startDate?.toISOString(),
          executionArn: execution.executionArn,
        })),
      ),
    );
    return EXIT.ok;
  }
  if (executions.length === 0) {
    io.out(`No executions of ${context.stateMachineArn}${status ? ` with status ${status}` : ''}`);
    return EXIT.ok;
  }
  io.out(`${'CASE'.padEnd(36)}  ${'STATUS'.padEnd(9)}  STARTED`);
  for (const execution of executions) {
    io.out(
      `${(execution.name ?? '?').padEnd(36)}  ${(execution.status ?? '?').padEnd(9)}  ${execution.startDate?.toISOString() ?? '?'}`,
    );
  }
  return EXIT.ok;
}
