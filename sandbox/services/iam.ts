// IAM in the sandbox: instance profiles, roles and their inline policies, and a policy simulator built from each role's deny list.
import type {
  DeleteRolePolicyCommandInput,
  EvaluationResult,
  GetInstanceProfileCommandInput,
  GetInstanceProfileCommandOutput,
  GetRoleCommandInput,
  GetRoleCommandOutput,
  GetRolePolicyCommandInput,
  GetRolePolicyCommandOutput,
  ListRolePoliciesCommandInput,
  ListRolePoliciesCommandOutput,
  PutRolePolicyCommandInput,
  Role,
  SimulatePrincipalPolicyCommandInput,
  SimulatePrincipalPolicyCommandOutput,
} from '@aws-sdk/client-iam';
import { actionMatches } from '../iam-actions';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';
import type { AccountState, RoleState } from '../scenario';

const CREATED = new Date('2026-01-01T00:00:00.000Z');
const NAME = /^[\w+=,.@-]{1,128}$/;

function roleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

function findRole(account: AccountState, roleName: string | undefined): RoleState {
  const role = account.roles.find((candidate) => candidate.roleName === roleName);
  if (!role)
    throw awsError('NoSuchEntity', `The role with name ${roleName ?? ''} cannot be found.`, { httpStatusCode: 404 });
  return role;
}

function renderRole(accountId: string, role: RoleState): Role {
  return {
    Path: '/',
    RoleName: role.roleName,
    RoleId: `AROA${accountId}${role.roleName.length}`,
    Arn: roleArn(accountId, role.roleName),
    CreateDate: CREATED,
  };
}

function getInstanceProfile(
  ctx: CallContext,
  input: GetInstanceProfileCommandInput,
): Partial<GetInstanceProfileCommandOutput> {
  const profile = ctx.account.instanceProfiles.find((candidate) => candidate.name === input.InstanceProfileName);
  if (!profile)
    throw awsError('NoSuchEntity', `Instance Profile ${input.InstanceProfileName ?? ''} cannot be found.`, {
      httpStatusCode: 404,
    });
  const role = ctx.account.roles.find((candidate) => candidate.roleName === profile.roleName);
  return {
    InstanceProfile: {
      Path: '/',
      InstanceProfileName: profile.name,
      InstanceProfileId: `AIPA${ctx.account.accountId}${profile.name.length}`,
      Arn: profile.arn,
      CreateDate: CREATED,
      Roles: role ? [renderRole(ctx.account.accountId, role)] : [],
    },
  };
}

function getRole(ctx: CallContext, input: GetRoleCommandInput): Partial<GetRoleCommandOutput> {
  return { Role: renderRole(ctx.account.accountId, findRole(ctx.account, input.RoleName)) };
}

function putRolePolicy(ctx: CallContext, input: PutRolePolicyCommandInput): Record<string, never> {
  const role = findRole(ctx.account, input.RoleName);
  if (!input.PolicyName || !NAME.test(input.PolicyName))
    throw awsError('ValidationError', `invalid PolicyName ${input.PolicyName ?? ''}`);
  try {
    JSON.parse(input.PolicyDocument ?? '');
  } catch {
    throw awsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  }
  role.inlinePolicies[input.PolicyName] = input.PolicyDocument ?? '';
  return {};
}

function deleteRolePolicy(ctx: CallContext, input: DeleteRolePolicyCommandInput): Record<string, never> {
  const role = findRole(ctx.account, input.RoleName);
  if (!input.PolicyName || !(input.PolicyName in role.inlinePolicies)) {
    throw awsError('NoSuchEntity', `The role policy with name ${input.PolicyName ?? ''} cannot be found.`, {
      httpStatusCode: 404,
    });
  }
  delete role.inlinePolicies[input.PolicyName];
  return {};
}

/** GetRolePolicy returns the document URL-encoded (RFC 3986), as IAM does ("GetRolePolicy", IAM API reference). */
function getRolePolicy(ctx: CallContext, input: GetRolePolicyCommandInput): Partial<GetRolePolicyCommandOutput> {
  const role = findRole(ctx.account, input.RoleName);
  const document = input.PolicyName ? role.inlinePolicies[input.PolicyName] : undefined;
  if (document === undefined)
    throw awsError('NoSuchEntity', `The role policy with name ${input.PolicyName ?? ''} cannot be found.`, {
      httpStatusCode: 404,
    });
  return { RoleName: role.roleName, PolicyName: input.PolicyName, PolicyDocument: encodeURIComponent(document) };
}

function listRolePolicies(
  ctx: CallContext,
  input: ListRolePoliciesCommandInput,
): Partial<ListRolePoliciesCommandOutput> {
  const role = findRole(ctx.account, input.RoleName);
  return { PolicyNames: Object.keys(role.inlinePolicies).sort(), IsTruncated: false };
}

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

/** Explicit denies of the role's inline policies; only the DateLessThan aws:TokenIssueTime condition is modelled. */
function explicitlyDenied(role: RoleState, action: string, context: ReadonlyMap<string, string>): boolean {
  for (const document of Object.values(role.inlinePolicies)) {
    let parsed: { Statement?: Statement | Statement[] };
    try {
      parsed = JSON.parse(document) as { Statement?: Statement | Statement[] };
    } catch {
      continue;
    }
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
    for (const statement of statements) {
      if (statement.Effect !== 'Deny') continue;
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action ?? ''];
      if (!actions.some((pattern) => actionMatches(pattern, action))) continue;
      const before = statement.Condition?.DateLessThan?.['aws:TokenIssueTime'];
      if (before === undefined) return true;
      const issued = context.get('aws:tokenissuetime');
      if (issued !== undefined && Date.parse(issued) < Date.parse(before)) return true;
    }
  }
  return false;
}

/**
 * SimulatePrincipalPolicy: an action on the role's `deny` list is an implicit deny (the permission was never granted),
 * an inline Deny statement that applies is an explicit deny, anything else is allowed.
 */
function simulatePrincipalPolicy(
  ctx: CallContext,
  input: SimulatePrincipalPolicyCommandInput,
): Partial<SimulatePrincipalPolicyCommandOutput> {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(input.PolicySourceArn ?? '');
  if (!match)
    throw awsError(
      'InvalidInput',
      `PolicySourceArn ${input.PolicySourceArn ?? ''} is not a role ARN the sandbox models`,
    );
  if (match[1] !== ctx.account.accountId)
    throw awsError('NoSuchEntity', `${input.PolicySourceArn ?? ''} is not in this account`, { httpStatusCode: 404 });
  const role = findRole(ctx.account, match[2]);
  const context = new Map(
    (input.ContextEntries ?? []).map((entry) => [
      (entry.ContextKeyName ?? '').toLowerCase(),
      entry.ContextKeyValues?.[0] ?? '',
    ]),
  );
  const results: EvaluationResult[] = (input.ActionNames ?? []).map((action) => ({
    EvalActionName: action,
    EvalResourceName: '*',
    EvalDecision: explicitlyDenied(role, action, context)
      ? 'explicitDeny'
      : role.deny.some((pattern) => actionMatches(pattern, action))
        ? 'implicitDeny'
        : 'allowed',
  }));
  return { EvaluationResults: results, IsTruncated: false };
}

export const iam = {
  GetInstanceProfile: getInstanceProfile,
  GetRole: getRole,
  PutRolePolicy: putRolePolicy,
  DeleteRolePolicy: deleteRolePolicy,
  GetRolePolicy: getRolePolicy,
  ListRolePolicies: listRolePolicies,
  SimulatePrincipalPolicy: simulatePrincipalPolicy,
};
