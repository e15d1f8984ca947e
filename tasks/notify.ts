// Notify: tells the right people about a case (SNS topic) and marks its finding NOTIFIED in Security Hub, never failing the case.
import { BatchUpdateFindingsCommand } from '@aws-sdk/client-securityhub';
import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { CaseSchema, GapSchema } from './lib/case';
import type { Case, Finding, Gap } from './lib/case';
import { casePrefix } from './lib/case-store';
import { TRANSIENT_AWS_ERRORS, errorMessage, errorName } from './lib/errors';
import { defineTask, lambdaHandler } from './lib/handler';
import type { TaskDeps } from './lib/task';
import { caseRegions } from './open-case';

export const NotifyInputSchema = z.object({
  case: CaseSchema,
  event: z.enum(['started', 'contained', 'finished']),
  /** What the state machine knows at that point: an overall status and gaps (e.g. RenderReport's or SealCase's output). */
  summary: z
    .object({ status: z.string().max(64).optional(), gaps: z.array(GapSchema).optional() })
    .passthrough()
    .optional(),
  /** RenderReport's output (or its caught error): where this run's report went, a resumed run's included. */
  report: z.unknown().optional(),
});
export type NotifyInput = z.infer<typeof NotifyInputSchema>;

export interface NotifyOutput {
  readonly caseId: string;
  readonly event: NotifyInput['event'];
  readonly skipped?: 'no topic configured';
  readonly topicArn?: string;
  readonly messageId?: string;
  readonly securityHub?: { readonly processed: number; readonly unprocessed: string[] } | { readonly skipped: string };
  readonly gaps: Gap[];
}

const TOPIC_REGION = /^arn:aws(?:-cn|-us-gov)?:sns:([a-z0-9-]+):\d{12}:/;

const RenderedSchema = z.object({ reports: z.array(z.object({ location: z.string().startsWith('s3://') })) });

/**
 * Where each region's report is (report.html; report.md and report.json next to it): as RenderReport wrote it when it
 * did (a resumed run writes report/resume-<n>/), else where a first run puts it.
 */
export function reportLocations(custodyCase: Case, deps: TaskDeps, rendered?: unknown): string[] {
  const written = RenderedSchema.safeParse(rendered);
  if (written.success && written.data.reports.length > 0) return written.data.reports.map((report) => report.location);
  return caseRegions(custodyCase).flatMap((region) => {
    const destination = deps.config.regions[region];
    return destination
      ? [`s3://${destination.evidenceBucket}/${casePrefix(custodyCase.caseId)}report/report.html`]
      : [];
  });
}

function statusOf(input: NotifyInput): string {
  if (input.summary?.status) return input.summary.status;
  return { started: 'collecting', contained: 'contained', finished: 'finished' }[input.event];
}

export function notificationText(input: NotifyInput, deps: TaskDeps): { subject: string; message: string } {
  const c = input.case;
  const status = statusOf(input);
  const dry = c.mode === 'dry-run' ? ' [dry run]' : '';
  // Subject: at most 100 printable ASCII characters, no line breaks (SNS API Reference, Publish).
  const subject = `Custody case ${c.caseId.slice(0, 8)} ${input.event}: ${status}${dry}`
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 100);
  const gaps = input.summary?.gaps ?? [];
  const lines = [
    `Custody case ${c.caseId} ${input.event}${dry}.`,
    `Status: ${status}`,
    `Targets: ${c.targets.map((t) => `${t.accountId}/${t.region}/${t.instanceId}`).join(', ')}`,
    ...(c.finding
      ? [`Finding: ${c.finding.type} (${c.finding.severityLabel} ${c.finding.severity}) ${c.finding.arn}`]
      : []),
    `Requested by: ${c.requestedBy}${c.reason ? ` (${c.reason})` : ''}`,
    ...(gaps.length > 0 ? [`Gaps: ${gaps.length}; first: ${gaps[0].target} ${gaps[0].step}: ${gaps[0].reason}`] : []),
    ...reportLocations(c, deps, input.report).map((location) => `Report: ${location}`),
  ];
  return { subject, message: lines.join('\n').slice(0, 8000) };
}

/**
 * The ASFF identifier of the case's finding: a Security Hub finding as delivered; a GuardDuty finding by its ARN as Id with
 * product arn:<partition>:securityhub:<region>::product/aws/guardduty (Security Hub User Guide, "GuardDuty integration").
 */
export function findingIdentifier(finding: Finding): { Id: string; ProductArn: string } {
  if (finding.source === 'securityhub' && finding.productArn) return { Id: finding.id, ProductArn: finding.productArn };
  const partition = /^arn:([^:]+):/.exec(finding.arn)?.[1] ?? 'aws';
  return { Id: finding.arn, ProductArn: `arn:${partition}:securityhub:${finding.region}::product/aws/guardduty` };
}

async function updateFinding(input: NotifyInput, deps: TaskDeps, gaps: Gap[]): Promise<NotifyOutput['securityHub']> {
  const finding = input.case.finding;
  if (!finding) return { skipped: 'the case did not come from a finding' };
  if (input.case.mode === 'dry-run')
    return { skipped: 'dry run: the finding is left unchanged (would set Workflow.Status NOTIFIED)' };
  const identifier = findingIdentifier(finding);
  try {
    // BatchUpdateFindings (Security Hub API Reference): Note needs Text and UpdatedBy; NOTIFIED is a customer workflow state.
    const response = await deps.clients
      .orchestrator(finding.region)
      .securityHub()
      .send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: [identifier],
          Note: {
            Text: `Custody case ${input.case.caseId}: ${input.event} (${statusOf(input)}). ${reportLocations(input.case, deps, input.report).join(' ')}`.slice(
              0,
              512,
            ),
            UpdatedBy: 'custody',
          },
          Workflow: { Status: 'NOTIFIED' },
        }),
      );
    const unprocessed = (response.UnprocessedFindings ?? []).map((item) =>
      `${item.FindingIdentifier?.Id ?? '?'}: ${item.ErrorCode ?? ''} ${item.ErrorMessage ?? ''}`.trim(),
    );
    for (const reason of unprocessed)
      gaps.push({
        target: 'case',
        step: 'Notify',
        reason: `Security Hub did not update the finding: ${reason}`,
        error: 'UnprocessedFinding',
      });
    return { processed: response.ProcessedFindings?.length ?? 0, unprocessed };
  } catch (error) {
    if (TRANSIENT_AWS_ERRORS.includes(errorName(error))) throw error;
    gaps.push({
      target: 'case',
      step: 'Notify',
      reason: `Security Hub finding not updated: ${errorMessage(error)}`,
      error: errorName(error),
    });
    return { skipped: `BatchUpdateFindings failed: ${errorName(error)}` };
  }
}

export async function notify(input: NotifyInput, deps: TaskDeps): Promise<NotifyOutput> {
  const gaps: Gap[] = [];
  const base = { caseId: input.case.caseId, event: input.event };
  const securityHub = await updateFinding(input, deps, gaps);
  const topicArn = deps.config.snsTopicArn;
  if (!topicArn) return { ...base, skipped: 'no topic configured', securityHub, gaps };
  // SNS publishes only to topics in the client's region (SNS API Reference, Publish): the client follows the topic.
  const region = TOPIC_REGION.exec(topicArn)?.[1];
  if (!region)
    return {
      ...base,
      topicArn,
      securityHub,
      gaps: [...gaps, { target: 'case', step: 'Notify', reason: `snsTopicArn ${topicArn} is not an SNS topic ARN` }],
    };
  const { subject, message } = notificationText(input, deps);
  try {
    const response = await deps.clients
      .orchestrator(region)
      .sns()
      .send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: subject,
          Message: message,
          MessageAttributes: {
            caseId: { DataType: 'String', StringValue: input.case.caseId },
            event: { DataType: 'String', StringValue: input.event },
          },
        }),
      );
    return { ...base, topicArn, ...(response.MessageId ? { messageId: response.MessageId } : {}), securityHub, gaps };
  } catch (error) {
    if (TRANSIENT_AWS_ERRORS.includes(errorName(error))) throw error;
    return {
      ...base,
      topicArn,
      securityHub,
      gaps: [
        ...gaps,
        {
          target: 'case',
          step: 'Notify',
          reason: `notification not sent: ${errorMessage(error)}`,
          error: errorName(error),
        },
      ],
    };
  }
}

export const notifyTask = defineTask('Notify', NotifyInputSchema, notify);
export const handler = lambdaHandler(notifyTask);
