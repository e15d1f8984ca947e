import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandboxEnvironment } from '../../sandbox';
import { LOOKUP_PACING, lookupEvents, lookupQuotaKey } from '../../tasks/lib/logs/cloudtrail';
import { pacer } from '../../tasks/lib/logs/paging';

const ACCOUNT = '222222222222';
const REGION = 'eu-west-1';

/** A clock that only moves to wake its earliest sleeper, so turn times are exact. */
function fakeClock() {
  let time = 1_000;
  const sleepers: Array<{ wake: number; resolve: () => void }> = [];
  const wakeNext = () => {
    sleepers.sort((a, b) => a.wake - b.wake);
    const next = sleepers.shift();
    if (!next) return;
    time = Math.max(time, next.wake);
    next.resolve();
  };
  return {
    now: () => time,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        sleepers.push({ wake: time + ms, resolve });
        setImmediate(wakeNext);
      }),
  };
}

describe('pacing shared per quota', () => {
  it('gives concurrent callers of one quota key turns one interval apart', async () => {
    const clock = fakeClock();
    const options = { minIntervalMs: 500, maxAttempts: 3, backoffBaseMs: 100, sharedKey: 'quota/a', ...clock };
    const at: number[] = [];
    const callers = [pacer(options), pacer(options), pacer(options)];
    await Promise.all(callers.flatMap((paced) => [1, 2].map(() => paced(async () => void at.push(clock.now())))));
    expect(at).toHaveLength(6);
    expect(at.slice(1).map((time, index) => time - at[index])).toEqual([500, 500, 500, 500, 500]);
  });

  it('keeps different quota keys on schedules of their own', async () => {
    const clock = fakeClock();
    const base = { minIntervalMs: 500, maxAttempts: 3, backoffBaseMs: 100, ...clock };
    const at: number[] = [];
    const first = pacer({ ...base, sharedKey: 'quota/b' });
    const second = pacer({ ...base, sharedKey: 'quota/c' });
    await Promise.all([first, second].map((paced) => paced(async () => void at.push(clock.now()))));
    expect(at).toEqual([1_000, 1_000]);
  });

  it('still backs off with jitter when a call is throttled by a caller it cannot see', async () => {
    const clock = fakeClock();
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      await clock.sleep(ms);
    };
    const paced = pacer({
      minIntervalMs: 0,
      maxAttempts: 4,
      backoffBaseMs: 100,
      sharedKey: 'quota/d',
      ...clock,
      sleep,
    });
    let calls = 0;
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    await expect(
      paced(async () => {
        calls += 1;
        if (calls < 3) throw throttled;
        return 'ok';
      }),
    ).resolves.toBe('ok');
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeLessThanOrEqual(200);
    expect(waits[1]).toBeLessThanOrEqual(400);
  });
});

describe('CloudTrail lookups of concurrent collectors in one account and region', () => {
  it('reach the two-per-second quota without one ThrottlingException', async () => {
    const env = createSandboxEnvironment({ root: mkdtempSync(join(tmpdir(), 'custody-ct-pacing-')) });
    const client = env.clients().member(ACCOUNT, REGION).cloudTrail();
    const pacing = { ...LOOKUP_PACING, sharedKey: lookupQuotaKey(ACCOUNT, REGION) };
    const collector = async (instanceId: string) => {
      const query = {
        attributes: [
          { AttributeKey: 'ResourceName' as const, AttributeValue: instanceId },
          { AttributeKey: 'ResourceName' as const, AttributeValue: `${instanceId}-volume` },
        ],
        startTime: new Date('2026-11-26T22:00:00Z'),
        endTime: new Date('2026-11-27T23:00:00Z'),
      };
      for await (const event of lookupEvents(client, query, pacing)) void event;
    };

    await Promise.all(['i-0000000000000a001', 'i-0000000000000a002', 'i-0000000000000a003'].map(collector));

    const lookups = env.sandbox.callsOf('CloudTrail', 'LookupEvents');
    expect(lookups).toHaveLength(6);
    expect(lookups.filter((call) => call.error)).toEqual([]);
    const at = lookups.map((call) => Date.parse(call.at)).sort((a, b) => a - b);
    // Two calls a second: any two calls two apart are at least a second apart, and the whole run takes calls / 2 seconds.
    for (let index = 2; index < at.length; index += 1) expect(at[index] - at[index - 2]).toBeGreaterThanOrEqual(1_000);
    expect(at[at.length - 1] - at[0]).toBeGreaterThanOrEqual((at.length - 1) * 500);
    expect(at[at.length - 1] - at[0]).toBeLessThan((at.length - 1) * 520 + 1_000);
  });
});
