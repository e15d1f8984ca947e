// Turns a scenario's trigger into a dry-run request for the same targets: a rehearsal that changes nothing.
import type { CustodyConfig } from '../../tasks/lib/config';
import { triage } from '../../tasks/triage';

/** Who asks for the rehearsal and why: the responder's own words when given, else the finding it rehearses. */
export interface DryRunAsker {
  readonly requestedBy: string;
  readonly reason?: string;
}

/**
 * A dry run of a finding is a request of its own, with a case id of its own: rehearsing must never open (and so lock) the
 * case the finding itself would open. The finding is named in the reason, so the custody log says what was rehearsed.
 */
export function asDryRunRequest(
  trigger: Record<string, unknown>,
  config: CustodyConfig,
  asker: DryRunAsker = { requestedBy: 'custody tabletop' },
): Record<string, unknown> {
  if (typeof trigger.mode === 'string') return { ...trigger, mode: 'dry-run' };
  const custodyCase = triage(trigger, { config, now: () => new Date() });
  const finding = custodyCase.finding;
  const rehearsed = finding ? `dry run of ${finding.type} (${finding.arn})` : 'dry run';
  return {
    mode: 'dry-run',
    targets: custodyCase.targets,
    requestedBy: asker.requestedBy,
    reason: asker.reason ? `${asker.reason}; ${rehearsed}` : rehearsed,
    options: custodyCase.options,
  };
}
