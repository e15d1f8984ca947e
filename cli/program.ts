// The `custody` command: a typed table of commands, each lazily importing its module; errors become exit codes, not stacks.
import { Command, CommanderError } from 'commander';
import { CustodyError } from '../tasks/lib/errors';
import type { CliIo, ExitCode } from './io';
import { EXIT } from './io';

/** Errors that mean the user's input was wrong (exit 2); any other failure is a case failure (exit 1). */
const BAD_INPUT = new Set(['InvalidInputError', 'UnsupportedEventError', 'RegionNotConfiguredError', 'TargetNotFoundError']);

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
    .action(async (location: string, options: { json?: boolean; region?: string; profile?: string }) => {
      const { verifyCommand } = await import('./commands/verify');
      code = await verifyCommand(location, options, io);
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
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT.ok;
    return EXIT.badInput;
  }
  if (error instanceof CustodyError && BAD_INPUT.has(error.name)) {
    io.err(`custody: ${error.message}`);
    return EXIT.badInput;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  io.err(`custody: ${message}`);
  if (process.env.CUSTODY_DEBUG && error instanceof Error && error.stack) io.err(error.stack);
  return EXIT.failed;
}
