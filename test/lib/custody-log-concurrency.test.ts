import fc from 'fast-check';
import { createCaseStore } from '../../tasks/lib/case-store';
import { verifyChain } from '../../tasks/lib/custody-log';
import { makeTestContext } from '../helpers/deps';

const CASE_ID = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

function writers(count: number) {
  const ctx = makeTestContext();
  const stores = Array.from({ length: count }, (_, index) =>
    createCaseStore({
      caseId: CASE_ID,
      region: 'eu-west-1',
      config: ctx.env.config,
      clients: ctx.deps.clients,
      actor: {
        principal: 'arn:aws:sts::111111111111:assumed-role/CustodyOrchestrator/custody',
        execution: `map-iteration-${index}`,
      },
      now: () => new Date(),
      retryBaseMs: 1,
      maxAttempts: 200,
    }),
  );
  return { ctx, stores };
}

describe('custody log under concurrent appends', () => {
  it('keeps one unbroken chain when 50 Map iterations append at the same moment, losing no entry', async () => {
    const { ctx, stores } = writers(50);
    await Promise.all(
      stores.map((store, index) => store.record({ action: 'artifact.verified', target: `writer-${index}` })),
    );
    const entries = await stores[0].readEntries();
    expect(entries).toHaveLength(50);
    expect(entries.map((entry) => entry.seq)).toEqual([...Array(50).keys()]);
    expect(verifyChain(entries)).toEqual([]);
    expect(new Set(entries.map((entry) => entry.target)).size).toBe(50);
    // Every lost race is a refused conditional write, never an overwrite.
    const puts = ctx.env.sandbox.callsOf('S3', 'PutObject');
    expect(puts.every((call) => call.input.IfNoneMatch === '*')).toBe(true);
    expect(puts.filter((call) => call.error === undefined)).toHaveLength(50);
  });

  it('continues the chain from the head another writer left, even when this writer has never seen the log', async () => {
    const { stores } = writers(2);
    const first = await stores[0].append({ action: 'case.opened', target: 'case' });
    const second = await stores[1].append({ action: 'instance.isolated', target: 'i-0c0ffee1234567890' });
    const third = await stores[0].append({ action: 'case.sealed', target: 'case' });
    expect([first.seq, second.seq, third.seq]).toEqual([0, 1, 2]);
    expect(second.prev).toBe(first.hash);
    expect(third.prev).toBe(second.hash);
  });

  it('verifies whatever interleaving of appends several writers make', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 12 }), async (order) => {
        const { stores } = writers(4);
        await Promise.all(order.map((writer, index) => stores[writer].record({ action: 'step', target: `${index}` })));
        const entries = await stores[0].readEntries();
        return entries.length === order.length && verifyChain(entries).length === 0;
      }),
      { numRuns: 8 },
    );
  });
});
