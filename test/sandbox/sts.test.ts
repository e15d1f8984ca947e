import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { createSandboxEnvironment } from '../../sandbox';

function environment() {
  return createSandboxEnvironment({ root: mkdtempSync(join(tmpdir(), 'custody-sts-')) });
}

describe('sandbox STS', () => {
  it('lets the orchestrator assume the responder role in a member account, as CloudTrail would show it', async () => {
    const env = environment();
    const identity = await env
      .clients('custody-case-1')
      .member('222222222222', 'eu-west-1')
      .sts()
      .send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('222222222222');
    expect(identity.Arn).toBe('arn:aws:sts::222222222222:assumed-role/CustodyResponder/custody-case-1');
    const assume = env.sandbox.callsOf('STS', 'AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0].input).toMatchObject({
      RoleArn: 'arn:aws:iam::222222222222:role/CustodyResponder',
      ExternalId: 'custody-tabletop',
    });
  });

  it('refuses a role whose trust policy does not name the orchestrator', async () => {
    const env = environment();
    const clients = env.clients().member('444444444444', 'eu-west-1');
    await expect(clients.sts().send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('refuses an assumption with the wrong external id', async () => {
    const env = environment();
    env.scenario.accounts[1].roles[0].externalId = 'another-id';
    await expect(
      env.clients().member('222222222222', 'eu-west-1').sts().send(new GetCallerIdentityCommand({})),
    ).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('throws UnsupportedOperation for an operation it does not model', async () => {
    const env = environment();
    await expect(
      env.clients().member('222222222222', 'eu-west-1').ec2().send(new DescribeRegionsCommand({})),
    ).rejects.toMatchObject({
      name: 'UnsupportedOperation',
    });
  });
});
