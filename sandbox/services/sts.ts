// STS in the sandbox: role assumption between accounts, checked against each role's trust policy and external id.
import type {
  AssumeRoleCommandInput,
  AssumeRoleCommandOutput,
  GetCallerIdentityCommandOutput,
} from '@aws-sdk/client-sts';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

function assumeRole(ctx: CallContext, input: AssumeRoleCommandInput): Partial<AssumeRoleCommandOutput> {
  const match = ROLE_ARN.exec(input.RoleArn ?? '');
  if (!match) throw awsError('ValidationError', `invalid RoleArn ${input.RoleArn}`);
  const [, accountId, roleName] = match;
  const account = ctx.sandbox.account(accountId);
  const role = account?.roles.find((candidate) => candidate.roleName === roleName);
  const denied = `User: ${ctx.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`;
  if (!account || !role) throw awsError('AccessDenied', denied, { httpStatusCode: 403 });
  const callerRoleArn = `arn:aws:iam::${ctx.caller.accountId}:role/${ctx.caller.roleName ?? ''}`;
  const trusted = role.trustedPrincipals.some(
    (principal) =>
      principal === callerRoleArn ||
      principal === ctx.caller.accountId ||
      principal === `arn:aws:iam::${ctx.caller.accountId}:root`,
  );
  if (!trusted) throw awsError('AccessDenied', denied, { httpStatusCode: 403 });
  if (role.externalId !== undefined && role.externalId !== input.ExternalId)
    throw awsError('AccessDenied', denied, { httpStatusCode: 403 });
  const sessionName = input.RoleSessionName ?? 'session';
  const arn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
  const credentials = ctx.sandbox.issueCredentials(
    { accountId, arn, roleName, sessionName },
    input.DurationSeconds ?? 3600,
  );
  return {
    Credentials: {
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      SessionToken: credentials.sessionToken ?? '',
      Expiration: credentials.expiration,
    },
    AssumedRoleUser: { Arn: arn, AssumedRoleId: `AROA${accountId}:${sessionName}` },
  };
}

function getCallerIdentity(ctx: CallContext): Partial<GetCallerIdentityCommandOutput> {
  return {
    Account: ctx.caller.accountId,
    Arn: ctx.caller.arn,
    UserId: `AROA${ctx.caller.accountId}:${ctx.caller.sessionName ?? ''}`,
  };
}

export const sts = {
  AssumeRole: assumeRole,
  GetCallerIdentity: getCallerIdentity,
};
