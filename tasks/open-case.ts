// OpenCase: writes case.json and the first custody entry in every region the case touches; a second delivery stops here.
import { z } from 'zod';
import { CaseSchema } from './lib/case';
import type { Case } from './lib/case';
import { CaseAlreadyOpenError } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';

export const OpenCaseInputSchema = z.object({ case: CaseSchema });
export type OpenCaseInput = z.infer<typeof OpenCaseInputSchema>;

export interface OpenCaseOutput {
  readonly caseId: string;
  readonly regions: readonly string[];
  readonly openedAt: string;
}

/** The regions a case writes evidence in: each target's own region, never another. */
export function caseRegions(custodyCase: Case): string[] {
  return [...new Set(custodyCase.targets.map((target) => target.region))].sort();
}

export async function openCase(input: OpenCaseInput, deps: TaskDeps): Promise<OpenCaseOutput> {
  const custodyCase = input.case;
  const regions = caseRegions(custodyCase);
  for (const region of regions) {
    const store = deps.store(custodyCase.caseId, region);
    const regionalCase = { ...custodyCase, targets: custodyCase.targets.filter((target) => target.region === region) };
    try {
      // case.json is written once (the writer refuses an existing key), so it doubles as the case's idempotency lock.
      await store.putArtifact({
        key: 'case.json',
        body: `${JSON.stringify(regionalCase, null, 2)}\n`,
        contentType: 'application/json',
        source: 'custody:triage',
        target: 'case',
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'ObjectExistsError') {
        throw new CaseAlreadyOpenError(`case ${custodyCase.caseId} is already open in ${region}`, {
          caseId: custodyCase.caseId,
          region,
        });
      }
      throw error;
    }
    await store.record({
      action: 'case.opened',
      target: 'case',
      details: {
        mode: custodyCase.mode,
        trigger: custodyCase.trigger,
        requestedBy: custodyCase.requestedBy,
        reason: custodyCase.reason,
        finding: custodyCase.finding?.arn,
        targets: regionalCase.targets.map((target) => target.instanceId),
        options: custodyCase.options,
      },
    });
  }
  return { caseId: custodyCase.caseId, regions, openedAt: deps.now().toISOString() };
}

export const openCaseTask = defineTask('OpenCase', OpenCaseInputSchema, openCase);
export const handler = lambdaHandler(openCaseTask);
