// Builds the example organisation's stacks once per test file, with stub task code so no bundling runs.
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp } from '../../infra/app';
import type { CustodyStacks } from '../../infra/app';
import { loadConfigFile } from '../../tasks/lib/config';
import type { CustodyConfig } from '../../tasks/lib/config';
import { projectRoot } from '../../tasks/lib/paths';

// The built-in CloudFormation schema validation adds ~20 s per synth; `cdk synth` keeps it, the unit tests skip it.
process.env.CDK_VALIDATION = 'false';

export function exampleConfig(): CustodyConfig {
  return loadConfigFile(join(projectRoot(), 'config', 'example.json'));
}

export function exampleStacks(config: CustodyConfig = exampleConfig()): CustodyStacks {
  return buildApp(config, { taskCode: 'stub' });
}

/** Unacknowledged AwsSolutions findings of a stack, as `rule at construct path` lines. */
export function nagFindings(stack: Stack): string[] {
  Template.fromStack(stack);
  const report = new AwsSolutionsChecks().validateScope(stack);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
  );
}

/** Every policy document statement a template's roles carry, inline or attached, with the role's logical id. */
export function roleStatements(
  template: Template,
): Array<{ role: string; Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string }> {
  const out: Array<{
    role: string;
    Action: string | string[];
    Resource: unknown;
    Condition?: unknown;
    Effect: string;
  }> = [];
  for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const policy of (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: [] } }>) {
      for (const statement of policy.PolicyDocument.Statement)
        out.push({ role: id, ...(statement as object) } as never);
    }
  }
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    for (const role of (policy.Properties.Roles ?? []) as Array<{ Ref: string }>) {
      for (const statement of policy.Properties.PolicyDocument.Statement)
        out.push({ role: role.Ref, ...(statement as object) } as never);
    }
  }
  return out;
}

export function actionsOf(statement: { Action: string | string[] }): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
