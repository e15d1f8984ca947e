// GuardDuty in the sandbox: the region's detector and its findings, answered in the SDK's shape.
import type {
  Finding,
  GetFindingsCommandInput,
  GetFindingsCommandOutput,
  ListDetectorsCommandOutput,
} from '@aws-sdk/client-guardduty';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';

/** Scenario findings are stored as EventBridge delivers them (camelCase); the SDK's Finding type is PascalCase. */
function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key.charAt(0).toUpperCase() + key.slice(1), pascal(inner)]),
  );
}

function detectorIdOf(finding: Record<string, unknown>): string | undefined {
  return (finding.service as { detectorId?: string } | undefined)?.detectorId;
}

function listDetectors(ctx: CallContext): Partial<ListDetectorsCommandOutput> {
  const ids = new Set(ctx.regionState.findings.map(detectorIdOf).filter((id): id is string => Boolean(id)));
  return { DetectorIds: [...ids] };
}

function getFindings(ctx: CallContext, input: GetFindingsCommandInput): Partial<GetFindingsCommandOutput> {
  const owned = ctx.regionState.findings.filter((finding) => detectorIdOf(finding) === input.DetectorId);
  if (owned.length === 0) {
    throw awsError(
      'BadRequestException',
      'The request is rejected because the input detectorId is not owned by the current account.',
    );
  }
  const wanted = new Set(input.FindingIds ?? []);
  const findings = owned
    .filter((finding) => wanted.has(String(finding.id)))
    .map((finding) => pascal(finding) as Finding);
  return { Findings: findings };
}

export const guardDuty = {
  ListDetectors: listDetectors,
  GetFindings: getFindings,
};
