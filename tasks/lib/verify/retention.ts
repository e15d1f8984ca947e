// Check: every object of the case is under Object Lock in COMPLIANCE mode, retained at least the configured days from opening.
import { mapLimit } from './parallel';
import type { CheckResult, VerifyContext, VerifyIssue } from './types';
import { result } from './types';

/** Clock skew allowed between the case's opening and an object's retention date (Lambdas do not share a clock). */
const SKEW_MS = 5 * 60 * 1000;

export async function checkRetention(context: VerifyContext): Promise<CheckResult> {
  const retention = context.source.retention;
  if (!retention)
    return {
      check: 'retention',
      status: 'not-applicable',
      issues: [],
      note: 'retention is not checkable for a plain folder (no S3 Object Lock metadata)',
    };
  const minimum = minimumRetainUntil(context);
  const found = await mapLimit(
    context.listing,
    context.concurrency,
    async (object): Promise<VerifyIssue | undefined> => {
      const lock = await retention(object.key);
      const issue = (kind: string, message: string): VerifyIssue => ({
        check: 'retention',
        kind,
        subject: object.key,
        message: `${object.key}: ${message}`,
      });
      if (!lock?.mode || !lock.retainUntil) return issue('retention-missing', 'has no Object Lock retention');
      if (lock.mode !== 'COMPLIANCE')
        return issue(
          'not-compliance',
          `is locked in ${lock.mode} mode, which privileged users can lift; COMPLIANCE is required`,
        );
      if (minimum && lock.retainUntil.getTime() < minimum.getTime()) {
        return issue(
          'retention-short',
          `is retained until ${lock.retainUntil.toISOString()}, before ${minimum.toISOString()} (opening + ${context.manifest!.retention.days} days)`,
        );
      }
      return undefined;
    },
  );
  const issues = found.filter((issue): issue is VerifyIssue => issue !== undefined);
  return result(
    'retention',
    issues,
    `${context.listing.length} objects checked${minimum ? ` against ${minimum.toISOString()}` : ''}`,
  );
}

function minimumRetainUntil(context: VerifyContext): Date | undefined {
  const manifest = context.manifest;
  const openedAt = manifest?.case.openedAt;
  if (!manifest || typeof openedAt !== 'string' || Number.isNaN(Date.parse(openedAt))) return undefined;
  return new Date(Date.parse(openedAt) + manifest.retention.days * 86_400_000 - SKEW_MS);
}
