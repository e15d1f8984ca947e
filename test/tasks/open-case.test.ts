// OpenCase: a second delivery stops at the open case; a resume goes on only onto its own, unsealed case, and says so in the log.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { sha256Hex } from '../../tasks/lib/canonical';
import type { Case, Resume } from '../../tasks/lib/case';
import { openCase } from '../../tasks/open-case';
import { triageExecution } from '../../tasks/triage';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';
import { TARGET, logCase } from '../helpers/log-case';

const BUCKET = 'custody-evidence-333333333333-eu-west-1';
const FIRST = 'arn:aws:states:eu-west-1:111111111111:execution:custody-collect-evidence:first';

function resumeOf(custodyCase: Case): Resume {
  return {
    caseId: custodyCase.caseId,
    resumes: FIRST,
    status: 'FAILED',
    error: 'CaseNotSealed',
    requestedBy: 'alice',
    reason: 'INC-4711 resume',
  };
}

describe('openCase', () => {
  let ctx: TestContext;
  let kase: Case;

  beforeEach(() => {
    ctx = makeTestContext();
    kase = logCase();
  });

  it('stops a second delivery of the same case at CaseAlreadyOpenError', async () => {
    await openCase({ case: kase }, ctx.deps);
    await expect(openCase({ case: { ...kase, openedAt: new Date().toISOString() } }, ctx.deps)).rejects.toMatchObject({
      name: 'CaseAlreadyOpenError',
    });
  });

  it('resumes an open case: records case.resumed and goes on with the case as recorded in case.json', async () => {
    await openCase({ case: kase }, ctx.deps);
    const later = { ...kase, openedAt: '2030-01-01T00:00:00.000Z' };
    const opened = await openCase({ case: later, resume: resumeOf(kase) }, ctx.deps);
    expect(opened.case.openedAt).toBe(kase.openedAt);
    expect(opened.resumed).toBe(FIRST);
    const resumed = ctx.events.filter((event) => event.action === 'case.resumed');
    expect(resumed).toEqual([
      expect.objectContaining({
        target: 'case',
        details: expect.objectContaining({ resumes: FIRST, requestedBy: 'alice', reason: 'INC-4711 resume' }),
      }),
    ]);
    expect(ctx.events.filter((event) => event.action === 'case.opened')).toHaveLength(1);
  });

  it('refuses to resume a case that was never opened, touching nothing', async () => {
    await expect(openCase({ case: kase, resume: resumeOf(kase) }, ctx.deps)).rejects.toMatchObject({
      name: 'CaseNotFoundError',
    });
    expect(ctx.events).toEqual([]);
  });

  it('refuses to resume onto a case recorded with other targets', async () => {
    await openCase({ case: kase }, ctx.deps);
    const other = { ...kase, targets: [{ ...TARGET, instanceId: 'i-0c0ffee1234567891' }] };
    await expect(openCase({ case: other, resume: resumeOf(kase) }, ctx.deps)).rejects.toMatchObject({
      name: 'CaseMismatchError',
    });
  });

  it('refuses to resume a sealed case with CaseSealedError', async () => {
    await openCase({ case: kase }, ctx.deps);
    await ctx.deps.clients
      .forensics('eu-west-1')
      .s3()
      .send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `cases/${kase.caseId}/manifest.json`,
          Body: '{}',
          ChecksumSHA256: Buffer.from(sha256Hex('{}'), 'hex').toString('base64'),
        }),
      );
    await expect(openCase({ case: kase, resume: resumeOf(kase) }, ctx.deps)).rejects.toMatchObject({
      name: 'CaseSealedError',
    });
    expect(ctx.events.filter((event) => event.action === 'case.resumed')).toEqual([]);
  });
});

describe('triageExecution of the resume form', () => {
  const request = {
    mode: 'collect',
    caseId: '0f8f8d3e-6a8c-4f57-9d55-2a3c0b0e1d11',
    targets: [TARGET],
    requestedBy: 'alice',
    reason: 'INC-4711',
  };
  const now = () => new Date();

  it('triages the original input and passes the marker on', () => {
    const resume = { ...resumeOf(logCase()), caseId: request.caseId };
    const out = triageExecution({ resume, input: request }, { now });
    expect(out.case.caseId).toBe(request.caseId);
    expect(out.resume).toEqual(resume);
  });

  it.each([
    [
      'a marker naming another case',
      { resume: { ...resumeOf(logCase()), caseId: '11111111-1111-4111-8111-111111111111' } },
    ],
    ['a marker without a reason', { resume: { ...resumeOf(logCase()), reason: undefined } }],
    ['a resume of a resume', { input: { resume: resumeOf(logCase()), input: request } }],
  ])('refuses %s', (_why, change) => {
    const event = { resume: { ...resumeOf(logCase()), caseId: request.caseId }, input: request, ...change };
    expect(() => triageExecution(event, { now })).toThrow(expect.objectContaining({ name: 'InvalidInputError' }));
  });

  it('leaves an ordinary request without a marker', () => {
    expect(triageExecution(request, { now }).resume).toBeUndefined();
  });
});
