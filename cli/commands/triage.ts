// `custody triage --event FILE`: prints the normalised case a trigger would open, or says why it is rejected (exit 2).
import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../../tasks/lib/config';
import { InvalidInputError } from '../../tasks/lib/errors';
import { parseEventText, triage } from '../../tasks/triage';
import type { CliIo, ExitCode } from '../io';
import { EXIT } from '../io';

export async function triageCommand(options: { event: string; config?: string }, io: CliIo): Promise<ExitCode> {
  let text: string;
  try {
    text = readFileSync(options.event === '-' ? 0 : options.event, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      `cannot read event file ${options.event}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  const event = parseEventText(text);
  const config = options.config ? loadConfigFile(options.config) : undefined;
  const custodyCase = triage(event, { config, now: () => new Date() });
  io.out(JSON.stringify(custodyCase, null, 2));
  return EXIT.ok;
}
