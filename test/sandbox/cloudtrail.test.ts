import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import type { LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { createSandboxEnvironment } from '../../sandbox';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cloudTrail() {
  const env = createSandboxEnvironment({ root: mkdtempSync(join(tmpdir(), 'custody-ct-')) });
  return { env, client: env.clients().member('222222222222', 'eu-west-1').cloudTrail() };
}

const window = { StartTime: new Date('2026-11-26T22:00:00Z'), EndTime: new Date('2026-11-27T23:00:00Z') };

describe('sandbox CloudTrail LookupEvents', () => {
  it('pages the instance role session events 50 at a time, most recent first, each event once', async () => {
    const { client } = cloudTrail();
    const ids: string[] = [];
    const times: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page: LookupEventsCommandOutput = await client.send(
        new LookupEventsCommand({
          ...window,
          LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: 'i-0c0ffee1234567890' }],
          MaxResults: 50,
          NextToken: token,
        }),
      );
      pages += 1;
      expect(page.Events!.length).toBeLessThanOrEqual(50);
      for (const event of page.Events ?? []) {
        ids.push(event.EventId!);
        times.push(event.EventTime!.getTime());
      }
      token = page.NextToken;
      await sleep(500);
    } while (token);
    expect(pages).toBeGreaterThan(1);
    // 120 generated routine calls plus the story's five calls with the stolen credentials.
    expect(ids).toHaveLength(125);
    expect(new Set(ids).size).toBe(125);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('finds the events that name an instance through ResourceName', async () => {
    const { client } = cloudTrail();
    const page = await client.send(
      new LookupEventsCommand({
        ...window,
        LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateTags' }],
      }),
    );
    expect(page.Events).toHaveLength(1);
    expect(page.Events![0].Resources).toContainEqual({
      ResourceType: 'AWS::EC2::Instance',
      ResourceName: 'i-0c0ffee1234567890',
    });
    expect(JSON.parse(page.Events![0].CloudTrailEvent!).userIdentity.userName).toBe('ops-bob');
  });

  it('refuses more than one lookup attribute, as AWS does', async () => {
    const { client } = cloudTrail();
    const attributes = [
      { AttributeKey: 'Username' as const, AttributeValue: 'i-0c0ffee1234567890' },
      { AttributeKey: 'EventName' as const, AttributeValue: 'ListBuckets' },
    ];
    await expect(client.send(new LookupEventsCommand({ LookupAttributes: attributes }))).rejects.toMatchObject({
      name: 'InvalidLookupAttributesException',
    });
  });

  it('throttles a third lookup within one second for the same account and region', async () => {
    const { env, client } = cloudTrail();
    await client.send(new LookupEventsCommand({ MaxResults: 1 }));
    await client.send(new LookupEventsCommand({ MaxResults: 1 }));
    await expect(client.send(new LookupEventsCommand({ MaxResults: 1 }))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    await sleep(1000);
    await expect(client.send(new LookupEventsCommand({ MaxResults: 1 }))).resolves.toBeDefined();
    expect(env.sandbox.callsOf('CloudTrail', 'LookupEvents').map((call) => call.error)).toEqual([
      undefined,
      undefined,
      'ThrottlingException',
      undefined,
    ]);
  });
});
