import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { createSandboxEnvironment } from '../../sandbox';
import { generatedLogGroupsOf } from '../../sandbox/log-generator';
import { compileFilterPattern } from '../../sandbox/services/logs';
import { flowFilterPattern } from '../../tasks/lib/logs/flow-log';

function logs() {
  const env = createSandboxEnvironment({ root: mkdtempSync(join(tmpdir(), 'custody-logs-')) });
  return { env, client: env.clients().member('222222222222', 'eu-west-1').logs() };
}

describe('sandbox CloudWatch Logs FilterLogEvents', () => {
  it('pages one ENI out of a shared flow-log group with the space-delimited pattern, every event once', async () => {
    const { env, client } = logs();
    const ids = new Set<string>();
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new FilterLogEventsCommand({
          logGroupName: '/custody/vpc-flow-logs',
          filterPattern: flowFilterPattern('eni-0a1b2c3d4e5f60001'),
          limit: 5000,
          nextToken: token,
        }),
      );
      pages += 1;
      for (const event of page.events ?? []) {
        expect(event.message!.split(' ')[2]).toBe('eni-0a1b2c3d4e5f60001');
        ids.add(event.eventId!);
      }
      token = page.nextToken;
    } while (token);
    const expected = generatedLogGroupsOf(env.sandbox.regionState('222222222222', 'eu-west-1'))
      .get('/custody/vpc-flow-logs')!
      .filter((line) => line.message.includes('eni-0a1b2c3d4e5f60001'));
    expect(pages).toBeGreaterThan(5);
    expect(ids.size).toBe(expected.length + 7);
  });

  it('answers ResourceNotFoundException for a log group that does not exist', async () => {
    const { client } = logs();
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/nowhere' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('matches quoted terms exactly and bracket fields by position', () => {
    expect(compileFilterPattern('"i-0c0ffee1234567890"')('{"srcids":{"instance":"i-0c0ffee1234567890"}}')).toBe(true);
    expect(compileFilterPattern('"i-0c0ffee1234567891"')('{"srcids":{"instance":"i-0c0ffee1234567890"}}')).toBe(false);
    const reject = compileFilterPattern(
      '[version, account, eni, src, dst, srcport, dstport, protocol, packets, bytes, start, end, action="REJECT", status]',
    );
    expect(reject('2 222222222222 eni-1 1.2.3.4 10.0.0.1 1 22 6 1 44 10 70 REJECT OK')).toBe(true);
    expect(reject('2 222222222222 eni-1 1.2.3.4 10.0.0.1 1 22 6 1 44 10 70 ACCEPT OK')).toBe(false);
  });
});
