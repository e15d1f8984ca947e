import {
  SendCommandCommand,
  GetCommandInvocationCommand,
  DescribeInstanceInformationCommand,
} from '@aws-sdk/client-ssm';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { verifyPresignedUrl } from '../../sandbox/presigned-url';
import { presignUrl } from '../../tasks/ssm-command';
import { makeTestContext } from '../helpers/deps';
import { EVIDENCE_BUCKET, LINUX, MEMBER, REGION, WINDOWS, scenarioWithWindows } from '../helpers/disk-and-memory';

function context() {
  return makeTestContext(scenarioWithWindows());
}

describe('sandbox SSM', () => {
  it('reports each managed node with its ping status and platform', async () => {
    const ctx = context();
    ctx.env.sandbox.regionState(MEMBER, REGION).instances[0].ssm.online = false;
    const ssm = ctx.deps.clients.member(MEMBER, REGION).ssm();
    const answer = await ssm.send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: 'InstanceIds', Values: [LINUX.instanceId, WINDOWS.instanceId] }],
      }),
    );
    expect(answer.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus, i.PlatformType])).toEqual([
      [LINUX.instanceId, 'ConnectionLost', 'Linux'],
      [WINDOWS.instanceId, 'Online', 'Windows'],
    ]);
  });

  it('refuses a document parameter that breaks its allowed pattern, so nothing can be injected into the script', async () => {
    const ssm = context().deps.clients.member(MEMBER, REGION).ssm();
    const send = ssm.send(
      new SendCommandCommand({
        DocumentName: 'Custody-LinuxMemoryCapture',
        InstanceIds: [LINUX.instanceId],
        Parameters: {
          toolUrl: ["https://x.s3.eu-west-1.amazonaws.com/t?a=b';reboot;'"],
          toolSha256: ['0'.repeat(64)],
          partUrls: ['https://x.s3.eu-west-1.amazonaws.com/p?a=b'],
          partSizeBytes: ['8388608'],
        },
      }),
    );
    await expect(send).rejects.toMatchObject({ name: 'InvalidParameters' });
  });

  it('refuses a document it does not have, and an invocation that does not exist', async () => {
    const ssm = context().deps.clients.member(MEMBER, REGION).ssm();
    await expect(
      ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [LINUX.instanceId] })),
    ).rejects.toMatchObject({ name: 'InvalidDocument' });
    await expect(
      ssm.send(
        new GetCommandInvocationCommand({
          CommandId: '00000000-0000-0000-0000-000000000000',
          InstanceId: LINUX.instanceId,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvocationDoesNotExist',
    });
  });

  it('ships five schemaVersion 2.2 Command documents whose script parameters all exist', () => {
    const dir = join(__dirname, '../../infra/documents');
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      'Custody-LinuxMemoryCapture.json',
      'Custody-LinuxVolatileData.json',
      'Custody-WindowsMemoryCapture.json',
      'Custody-WindowsVolatileData.json',
      'Custody-WorkstationExamine.json',
    ]);
    for (const file of files) {
      const document = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      expect(document.schemaVersion).toBe('2.2');
      const used = new Set([...JSON.stringify(document.mainSteps).matchAll(/\{\{ ?(\w+) ?\}\}/g)].map((m) => m[1]));
      expect([...used].sort()).toEqual(Object.keys(document.parameters).sort());
    }
  });
});

describe('sandbox presigned URLs', () => {
  async function url(ctx = context(), expiresIn = 60) {
    const s3 = ctx.deps.clients.forensics(REGION).s3();
    return {
      ctx,
      url: await presignUrl(
        s3,
        {
          method: 'PUT',
          bucket: EVIDENCE_BUCKET,
          key: 'cases/x/a b+c.txt',
          query: { partNumber: '1', uploadId: 'u/p+l=' },
        },
        expiresIn,
      ),
    };
  }

  it('accepts a URL the evidence writer signed and names what it grants', async () => {
    const { ctx, url: signed } = await url();
    const grant = verifyPresignedUrl(ctx.env.sandbox, 'PUT', signed);
    expect(grant).toMatchObject({
      bucket: EVIDENCE_BUCKET,
      key: 'cases/x/a b+c.txt',
      params: { partNumber: '1', uploadId: 'u/p+l=' },
    });
    expect(grant.caller.arn).toContain('assumed-role/CustodyEvidenceWriter/');
  });

  it.each([
    ['another object', (u: string) => u.replace('a%20b', 'a%20c'), 'SignatureDoesNotMatch'],
    ['another part', (u: string) => u.replace('partNumber=1', 'partNumber=2'), 'SignatureDoesNotMatch'],
    [
      'a forged signature',
      (u: string) => u.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'),
      'SignatureDoesNotMatch',
    ],
  ])('refuses a URL altered to reach %s', async (_what, alter, error) => {
    const { ctx, url: signed } = await url();
    expect(() => verifyPresignedUrl(ctx.env.sandbox, 'PUT', alter(signed))).toThrow(
      expect.objectContaining({ name: error }),
    );
  });

  it('refuses the URL for another method, and once it has expired', async () => {
    const { ctx, url: signed } = await url(context(), 60);
    expect(() => verifyPresignedUrl(ctx.env.sandbox, 'GET', signed)).toThrow(
      expect.objectContaining({ name: 'SignatureDoesNotMatch' }),
    );
    expect(() => verifyPresignedUrl(ctx.env.sandbox, 'PUT', signed, new Date(Date.now() + 61_000))).toThrow(
      'Request has expired',
    );
  });
});
