// Turns a scenario's trigger into a dry-run request for the same targets: a rehearsal that changes nothing.
import type { CustodyConfig } from '../../tasks/lib/config';
import { triage } from '../../tasks/triage';

export function asDryRunRequest(trigger: Record<string, unknown>, config: CustodyConfig): Record<string, unknown> {
  if (typeof trigger.mode === 'string') return { ...trigger, mode: 'dry-run' };
  const custodyCase = triage(trigger, { config, now: () => new Date() });
  const finding = custodyCase.finding;
  return {
    mode: 'dry-run',
    targets: custodyCase.targets,
    requestedBy: 'custody tabletop',
    reason: finding ? `dry run of ${finding.type} (${finding.arn})` : 'dry run',
    options: custodyCase.options,
  };
}
