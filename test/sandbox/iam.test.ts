import {
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { makeTestContext } from '../helpers/deps';
import { ACCOUNT, REGION } from '../helpers/containment';

describe('sandbox IAM', () => {
  it('returns the role behind an instance profile', async () => {
    const ctx = makeTestContext();
    const result = await ctx.deps.clients
      .member(ACCOUNT, REGION)
      .iam()
      .send(new GetInstanceProfileCommand({ InstanceProfileName: 'web-server-profile' }));
    expect(result.InstanceProfile?.Roles?.map((role) => role.RoleName)).toEqual(['web-server-role']);
  });

  it('returns inline policy documents URL-encoded, as IAM does, and refuses to delete one that is not there', async () => {
    const ctx = makeTestContext();
    const iam = ctx.deps.clients.member(ACCOUNT, REGION).iam();
    const document = '{"Version":"2012-10-17","Statement":[]}';
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'web-server-role', PolicyName: 'p', PolicyDocument: document }),
    );
    expect(
      (await iam.send(new GetRolePolicyCommand({ RoleName: 'web-server-role', PolicyName: 'p' }))).PolicyDocument,
    ).toBe(encodeURIComponent(document));
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'web-server-role', PolicyName: 'p' }));
    await expect(
      iam.send(new DeleteRolePolicyCommand({ RoleName: 'web-server-role', PolicyName: 'p' })),
    ).rejects.toMatchObject({ name: 'NoSuchEntity' });
  });

  it('refuses PutRolePolicy when the responder role is denied it', async () => {
    const ctx = makeTestContext();
    ctx.env.scenario.accounts[1].roles[0].deny = ['iam:Put*'];
    await expect(
      ctx.deps.clients
        .member(ACCOUNT, REGION)
        .iam()
        .send(new PutRolePolicyCommand({ RoleName: 'web-server-role', PolicyName: 'p', PolicyDocument: '{}' })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
