// Triage of Custody's own request (`custody start`, tabletop, a responder's JSON): strict, every field checked, nothing guessed.
import { z } from 'zod';
import { CaseOptionsSchema, ModeSchema, TargetSchema } from '../case';
import type { CaseOptions } from '../case';
import { InvalidInputError } from '../errors';
import { dedupeTargets, parseOrReject } from './common';
import type { CaseDraft } from './common';

/** The request format of ARCHITECTURE.md ("State machine input"); unknown fields are refused so typos are not ignored. */
export const CaseRequestSchema = z
  .object({
    mode: ModeSchema,
    targets: z.array(TargetSchema).min(1, 'needs at least one target').max(1000, 'takes at most 1000 targets'),
    requestedBy: z.string().trim().min(1, 'must name who asked').max(256),
    reason: z.string().trim().min(1, 'must give a ticket or a note').max(2048),
    /** Checked against CaseOptionsSchema below; kept as given so unset options take the configuration's defaults. */
    options: z.record(z.string(), z.unknown()).optional(),
    /** A caller that already opened the case (a re-run, a tabletop) names it; otherwise a fresh v4 id is used. */
    caseId: z.string().uuid().optional(),
  })
  .strict();
export type CaseRequest = z.infer<typeof CaseRequestSchema>;

/** Normalises a request; the same instance named twice becomes one target. */
export function fromRequest(event: Record<string, unknown>): CaseDraft {
  if (event.mode !== undefined && !ModeSchema.safeParse(event.mode).success) {
    throw new InvalidInputError(`request: mode must be "collect" or "dry-run"`);
  }
  const request = parseOrReject(CaseRequestSchema, event, 'request');
  parseOrReject(CaseOptionsSchema, request.options ?? {}, 'request', 'options');
  return {
    trigger: 'manual',
    mode: request.mode,
    targets: dedupeTargets(request.targets),
    caseId: request.caseId?.toLowerCase(),
    requestedBy: request.requestedBy,
    reason: request.reason,
    options: request.options as Partial<CaseOptions> | undefined,
  };
}
