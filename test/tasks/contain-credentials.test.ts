import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { containCredentials } from '../../tasks/contain-credentials';
import { makeTestContext } from '../helpers/deps';
import { ACCOUNT, MULTI, REGION, TERMINATED, WEB, multiEniScenario, stepInput } from '../helpers/containment';

const NOW = new Date('2026-11-27T22:50:00.000Z');
const role = (ctx: ReturnType<typeof makeTestContext>) =>
  ctx.env.scenario.accounts[1].roles.find((candidate) => candidate.roleName === 'web-server-role')!;

describe('ContainCredentials', () => {
  it("denies every session of the instance role issued before now with AWS's revoke-older-sessions policy", async () => {
    const ctx = makeTestContext();
    const deps = { ...ctx.deps, now: () => NOW };
    const output = await containCredentials({ ...stepInput(ctx, WEB), disassociateProfile: false }, deps);
    expect(output).toMatchObject({
      status: 'contained',
      roleName: 'web-server-role',
      tokenIssueTime: NOW.toISOString(),
    });
    const document = JSON.parse(role(ctx).inlinePolicies[output.policyName!]);
    expect(document).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: ['*'],
          Resource: ['*'],
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-27T22:50:00.000Z' } },
        },
      ],
    });
    expect(ctx.events[0]).toMatchObject({
      action: 'role.sessions-revoked',
      details: { prior: { present: false }, now: { present: true } },
    });
  });

  it('stops stolen credentials issued before containment while new ones from the instance still work', async () => {
    const ctx = makeTestContext();
    await containCredentials({ ...stepInput(ctx, WEB), disassociateProfile: false }, { ...ctx.deps, now: () => NOW });
    const iam = ctx.deps.clients.member(ACCOUNT, REGION).iam();
    const decide = async (issued: string) =>
      (
        await iam.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: `arn:aws:iam::${ACCOUNT}:role/web-server-role`,
            ActionNames: ['ssm:UpdateInstanceInformation'],
            ContextEntries: [
              { ContextKeyName: 'aws:TokenIssueTime', ContextKeyType: 'date', ContextKeyValues: [issued] },
            ],
          }),
        )
      ).EvaluationResults?.[0].EvalDecision;
    expect(await decide('2026-11-27T21:00:00Z')).toBe('explicitDeny');
    expect(await decide('2026-11-27T22:55:00Z')).toBe('allowed');
  });

  it('records that it found the sessions already revoked on a second run and changes nothing', async () => {
    const ctx = makeTestContext();
    const input = { ...stepInput(ctx, WEB), disassociateProfile: false };
    await containCredentials(input, ctx.deps);
    const before = JSON.stringify(ctx.env.scenario.accounts);
    const again = await containCredentials(input, ctx.deps);
    expect(again.status).toBe('already-contained');
    expect(JSON.stringify(ctx.env.scenario.accounts)).toBe(before);
    expect(ctx.events.at(-1)).toMatchObject({
      action: 'instance.found-contained',
      details: { step: 'ContainCredentials', document: expect.stringContaining('aws:TokenIssueTime') },
    });
  });

  it('records that an instance without an instance profile has no role credentials to revoke', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const output = await containCredentials({ ...stepInput(ctx, MULTI), disassociateProfile: false }, ctx.deps);
    expect(output.status).toBe('skipped');
    expect(ctx.events[0].details).toMatchObject({ reason: expect.stringMatching(/no instance profile/) });
  });

  it('still revokes the role sessions of a terminated instance, whose credentials outlive it', async () => {
    const ctx = makeTestContext(multiEniScenario());
    const output = await containCredentials({ ...stepInput(ctx, TERMINATED), disassociateProfile: false }, ctx.deps);
    expect(output.status).toBe('contained');
    expect(Object.keys(role(ctx).inlinePolicies)).toEqual([output.policyName]);
  });

  it('checks the permission without acting in a dry run and reports it denied', async () => {
    const ctx = makeTestContext();
    ctx.env.scenario.accounts[1].roles[0].deny = ['iam:PutRolePolicy'];
    const output = await containCredentials(
      { ...stepInput(ctx, WEB, 'dry-run'), disassociateProfile: false },
      ctx.deps,
    );
    expect(output.status).toBe('would-do');
    expect(output.checks).toEqual([{ call: 'iam:PutRolePolicy', verdict: 'denied', reason: 'implicitDeny' }]);
    expect(role(ctx).inlinePolicies).toEqual({});
    expect(ctx.env.sandbox.callsOf('IAM', 'PutRolePolicy')).toHaveLength(0);
  });
});
