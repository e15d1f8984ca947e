// Security Hub in the sandbox: BatchUpdateFindings on the findings the scenario holds, each accepted update recorded on the region.
import type {
  AwsSecurityFindingIdentifier,
  BatchUpdateFindingsCommandInput,
  BatchUpdateFindingsCommandOutput,
  BatchUpdateFindingsUnprocessedFinding,
} from '@aws-sdk/client-securityhub';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';

const PRODUCT_ARN = /^arn:aws(?:-cn|-us-gov)?:securityhub:([a-z0-9-]+):(\d{12})?:product\/[\w.-]+\/[\w.-]+$/;
// Customer-settable workflow states (Security Hub API Reference, WorkflowUpdate).
const WORKFLOW = new Set(['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED']);

/**
 * A GuardDuty finding appears in Security Hub with its GuardDuty ARN as the ASFF Id and the product ARN
 * arn:aws:securityhub:<region>::product/aws/guardduty (Security Hub User Guide, "GuardDuty integration").
 * The sandbox knows the GuardDuty findings of the region in every account; any other Id is FindingNotFound.
 */
function known(ctx: CallContext, id: AwsSecurityFindingIdentifier): boolean {
  return ctx.sandbox.scenario.accounts.some((account) =>
    (account.regions[ctx.region]?.findings ?? []).some(
      (finding) => finding.arn === id.Id || finding.Arn === id.Id || finding.Id === id.Id,
    ),
  );
}

function batchUpdateFindings(
  ctx: CallContext,
  input: BatchUpdateFindingsCommandInput,
): Partial<BatchUpdateFindingsCommandOutput> {
  const identifiers = input.FindingIdentifiers ?? [];
  if (identifiers.length === 0 || identifiers.length > 100)
    throw awsError('InvalidInputException', 'FindingIdentifiers must list 1 to 100 findings');
  if (input.Workflow?.Status !== undefined && !WORKFLOW.has(input.Workflow.Status))
    throw awsError('InvalidInputException', `invalid Workflow.Status ${input.Workflow.Status}`);
  if (
    input.Note &&
    (!input.Note.Text || !input.Note.UpdatedBy || input.Note.Text.length > 512 || input.Note.UpdatedBy.length > 512)
  ) {
    throw awsError('InvalidInputException', 'Note needs Text and UpdatedBy of at most 512 characters');
  }
  const processed: AwsSecurityFindingIdentifier[] = [];
  const unprocessed: BatchUpdateFindingsUnprocessedFinding[] = [];
  const seen = new Set<string>();
  for (const id of identifiers) {
    const key = `${id.ProductArn ?? ''}|${id.Id ?? ''}`;
    const product = PRODUCT_ARN.exec(id.ProductArn ?? '');
    if (seen.has(key))
      unprocessed.push({
        FindingIdentifier: id,
        ErrorCode: 'DuplicatedFindingIdentifier',
        ErrorMessage: 'Finding identifier is duplicated',
      });
    else if (!id.Id || !product || product[1] !== ctx.region || !known(ctx, id)) {
      unprocessed.push({ FindingIdentifier: id, ErrorCode: 'FindingNotFound', ErrorMessage: 'Finding Not Found' });
    } else processed.push({ Id: id.Id, ProductArn: id.ProductArn });
    seen.add(key);
  }
  if (processed.length > 0) {
    const updates = (ctx.regionState.findingUpdates ??= []);
    updates.push({
      findings: processed,
      note: input.Note,
      workflow: input.Workflow,
      by: ctx.caller.arn,
      at: new Date().toISOString(),
    });
  }
  return { ProcessedFindings: processed, UnprocessedFindings: unprocessed };
}

export const securityHub = { BatchUpdateFindings: batchUpdateFindings };
