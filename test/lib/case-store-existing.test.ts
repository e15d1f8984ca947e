// The case store on a key that is already taken: the first acquisition stays the evidence, a lost record is recovered.
import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { sha256Hex } from '../../tasks/lib/canonical';
import { createCaseStore } from '../../tasks/lib/case-store';
import type { CustodyStore } from '../../tasks/lib/case-store';
import { makeTestContext } from '../helpers/deps';
import type { TestContext } from '../helpers/deps';

const BUCKET = 'custody-evidence-333333333333-eu-west-1';
const CASE_ID = '6f1c1d0e-6a55-4c0e-9d53-3a8d2b7f0c11';
const KEY = '222222222222/i-0c0ffee1234567890/metadata/describe-instance.json';

describe('createCaseStore putArtifact on an existing key', () => {
  let ctx: TestContext;
  let store: CustodyStore;
  const request = (body: string | Readable) => ({
    key: KEY,
    body,
    contentType: 'application/json',
    source: 'ec2:DescribeInstances',
    target: 'i-0c0ffee1234567890',
  });
  const writes = () =>
    ctx.env.sandbox.calls.filter(
      (call) =>
        ['PutObject', 'CreateMultipartUpload'].includes(call.operation) &&
        !call.error &&
        String(call.input.Key).endsWith(KEY),
    );

  beforeEach(() => {
    ctx = makeTestContext();
    store = createCaseStore({
      caseId: CASE_ID,
      region: 'eu-west-1',
      config: ctx.env.config,
      clients: ctx.deps.clients,
      actor: ctx.deps.actor,
      now: () => new Date(),
      retryBaseMs: 2,
    });
  });

  it('returns the artifact as first recorded, without rewriting or re-recording it', async () => {
    const first = await store.putArtifact(request('{"state":"running"}'));
    const again = await store.putArtifact(request('{"state":"running","tags":["custody"]}'));
    expect(again).toEqual(first);
    expect(again.sha256).toBe(sha256Hex('{"state":"running"}'));
    expect(writes()).toHaveLength(1);
    const acquired = (await store.readEntries()).filter((entry) => entry.action === 'artifact.acquired');
    expect(acquired).toHaveLength(1);
  });

  it('does not upload a stream again when its key is already recorded', async () => {
    await store.putArtifact(request('first'));
    const again = await store.putArtifact(request(Readable.from([Buffer.from('second')])));
    expect(again.sha256).toBe(sha256Hex('first'));
    expect(writes()).toHaveLength(1);
  });

  it('hashes and records an object whose custody entry a crash lost, marked as recovered', async () => {
    const crashed = '{"written":"before the task died"}';
    await ctx.deps.clients
      .forensics('eu-west-1')
      .s3()
      .send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `cases/${CASE_ID}/${KEY}`,
          Body: crashed,
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000),
          ChecksumSHA256: Buffer.from(sha256Hex(crashed), 'hex').toString('base64'),
        }),
      );
    const record = await store.putArtifact(request('{"written":"by the retry"}'));
    expect(record).toMatchObject({ key: KEY, sha256: sha256Hex(crashed), bytes: Buffer.byteLength(crashed) });
    const [entry] = (await store.readEntries()).filter((e) => e.action === 'artifact.acquired');
    expect(entry.artifact).toEqual(record);
    expect(entry.details).toMatchObject({ recovered: true });
  });

  it("raises ObjectExistsError when the caller asks onExisting 'fail' (OpenCase's lock)", async () => {
    await store.putArtifact(request('first'));
    await expect(store.putArtifact({ ...request('second'), onExisting: 'fail' })).rejects.toMatchObject({
      name: 'ObjectExistsError',
    });
  });

  it('finds nothing for a key that was never written', async () => {
    await expect(store.existingArtifact({ key: KEY, source: 'x', target: 'case' })).resolves.toBeUndefined();
  });
});
