// The `custody` command: a typed table of commands, each lazily importing its module; errors become exit codes, not stacks.
import { Command, CommanderError } from 'commander';
import { CustodyError } from '../tasks/lib/errors';
import type { CliIo, ExitCode } from './io';
import { EXIT } from './io';

/** Errors that mean the user's input was wrong (exit 2); any other failure is a case failure (exit 1). */
const BAD_INPUT = new Set([
  'InvalidInputError',
  'UnsupportedEventError',
  'RegionNotConfiguredError',
  'TargetNotFoundError',
  'ResumeRefusedError',
]);

export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let code: ExitCode = EXIT.ok;
  const program = new Command()
    .name('custody')
    .description('Forensic evidence collection for EC2, with a verifiable chain of custody')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) });

  program
    .command('tabletop')
    .description('run a whole case locally against the simulated AWS organisation (never a real account)')
    .option('--scenario <name|file>', 'shipped scenario name or scenario file', 'compromised-web-server')
    .option('--out <dir>', 'folder for the simulated buckets and the case (default: ./custody-cases/<scenario>-<time>)')
    .option('--dry-run', 'rehearse: every change is checked with DryRun or a permission check, nothing is changed')
    .option('--json', 'print a JSON summary as the last line')
    .action(async (options: { scenario?: string; out?: string; dryRun?: boolean; json?: boolean }) => {
      const { tabletop } = await import('./commands/tabletop');
      code = await tabletop(options, io);
    });

  program
    .command('triage')
    .description('print the case a trigger event (GuardDuty, Security Hub or a request) would open, as JSON')
    .requiredOption('--event <file>', 'the event or request, as JSON ("-" for standard input)')
    .option('--config <file>', 'Custody configuration: also checks each target region has a forensics account')
    .action(async (options: { event: string; config?: string }) => {
      const { triageCommand } = await import('./commands/triage');
      code = await triageCommand(options, io);
    });

  program
    .command('verify')
    .description('verify a case: every hash, the custody chain, the signature and the retention')
    .argument('<location>', 'a local case folder or s3://bucket/cases/<caseId>/')
    .option('--json', 'print the verification report as JSON')
    .option('--region <region>', 'AWS region of the bucket (for s3:// locations)')
    .option('--profile <profile>', 'AWS profile to read the bucket with (for s3:// locations)')
    .option(
      '--public-key <file>',
      'PEM public key you trust: pins the signing key (otherwise KMS is asked for s3:// cases)',
    )
    .action(
      async (location: string, options: { json?: boolean; region?: string; profile?: string; publicKey?: string }) => {
        const { verifyCommand } = await import('./commands/verify');
        code = await verifyCommand(location, options, io);
      },
    );

  program
    .command('report')
    .description('re-render a case report (markdown and HTML) from a case folder, outside the write-once case folder')
    .argument('<caseDir>', 'a local case folder')
    .option('--out <dir>', 'where to write (default: next to the case folder)')
    .action(async (caseDir: string, options: { out?: string }) => {
      const { reportCommand } = await import('./commands/report');
      code = await reportCommand(caseDir, options, io);
    });

  program
    .command('start')
    .description(
      'start a case in the deployed state machine (real AWS: needs --profile or --yes-use-default-credentials)',
    )
    .option('--instance <id>', 'instance to collect from')
    .option('--account <id>', "the instance's account")
    .option('--region <region>', "the instance's region (default: the orchestrator's)")
    .option('--event <file>', 'start from a GuardDuty or Security Hub event instead ("-" for standard input)')
    .option('--dry-run', 'rehearse: check every change without making it (recommended first run)')
    .option('--reason <text>', 'ticket or note recorded with the case')
    .option('--requested-by <who>', 'who asked for the collection')
    .option('--case-id <uuid>', 'resume or name the case')
    .option('--wait', 'follow the case until it ends, phase by phase')
    .option(
      '--resume <caseId>',
      "resume the case's failed, aborted or timed-out execution (a new execution; finished work is kept, not redone)",
    )
    .option('--profile <profile>', 'AWS profile to act with')
    .option('--config <file>', 'Custody configuration file')
    .option('--state-machine-arn <arn>', 'the deployed collect-evidence state machine')
    .option('--yes-use-default-credentials', 'act with the default credential chain instead of a named profile')
    .action(async (options: Record<string, unknown>) => {
      const { startCommand } = await import('./commands/start');
      code = await startCommand(options as Parameters<typeof startCommand>[0], io);
    });

  program
    .command('status')
    .description('show where a case is: phase reached, failures, outcome')
    .argument('<case>', 'case id or execution ARN')
    .option('--profile <profile>', 'AWS profile')
    .option('--config <file>', 'Custody configuration file')
    .option('--region <region>', "the orchestrator's region")
    .option('--state-machine-arn <arn>', 'the deployed collect-evidence state machine')
    .action(async (id: string, options: Record<string, unknown>) => {
      const { statusCommand } = await import('./commands/status');
      code = await statusCommand(id, options as Parameters<typeof statusCommand>[1], io);
    });

  program
    .command('cases')
    .description('list recent cases')
    .option('--limit <n>', 'how many', '20')
    .option('--status <status>', 'only cases with this execution status')
    .option('--json', 'JSON output')
    .option('--profile <profile>', 'AWS profile')
    .option('--config <file>', 'Custody configuration file')
    .option('--region <region>', "the orchestrator's region")
    .option('--state-machine-arn <arn>', 'the deployed collect-evidence state machine')
    .action(async (options: Record<string, unknown>) => {
      const { casesCommand } = await import('./commands/cases');
      code = await casesCommand(options as Parameters<typeof casesCommand>[0], io);
    });

  program
    .command('release')
    .description(
      "undo the isolation of a case's instances from its custody log (real AWS: needs --profile or --yes-use-default-credentials)",
    )
    .argument('<case>', 'case id, s3://<bucket>/cases/<caseId>/, or a local case folder (with --plan only)')
    .option('--instance <id>', 'release only this instance of the case')
    .option('--region <region>', "only this region's evidence bucket (default: every configured region)")
    .option('--plan', 'print what would be restored and change nothing')
    .option('--profile <profile>', 'AWS profile to act with')
    .option('--config <file>', 'Custody configuration file')
    .option('--state-machine-arn <arn>', 'the deployed collect-evidence state machine')
    .option('--yes-use-default-credentials', 'act with the default credential chain instead of a named profile')
    .action(async (caseRef: string, options: Record<string, unknown>) => {
      const { releaseCommand } = await import('./commands/release');
      code = await releaseCommand(caseRef, options as Parameters<typeof releaseCommand>[1], io);
    });

  try {
    await program.parseAsync(['node', 'custody', ...argv]);
    return code;
  } catch (error) {
    return failure(error, io);
  }
}

function failure(error: unknown, io: CliIo): ExitCode {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0)
      return EXIT.ok;
    return EXIT.badInput;
  }
  if (error instanceof CustodyError && BAD_INPUT.has(error.name)) {
    io.err(`custody: ${error.message}`);
    return EXIT.badInput;
  }
  // The SDK found no credentials (an unknown --profile, none in the environment): the user's setup, not a failed case.
  if (error instanceof Error && error.name === 'CredentialsProviderError') {
    io.err(`custody: no usable AWS credentials: ${error.message}; name a configured profile with --profile`);
    return EXIT.badInput;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  io.err(`custody: ${message}`);
  if (process.env.CUSTODY_DEBUG && error instanceof Error && error.stack) io.err(error.stack);
  return EXIT.failed;
}
