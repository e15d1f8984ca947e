// Every wildcard an IAM policy grants is registered with its reason; the registry acknowledges exactly those cdk-nag findings.
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CfnManagedPolicy, CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

interface PolicyStatementJson {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
}

/** Reasons per wildcard, as cdk-nag's AwsSolutions-IAM5 spells the finding (`Resource::…` or `Action::…`). */
export class WildcardReasons {
  private readonly reasons = new Map<string, string>();

  public constructor(private readonly stack: Stack) {}

  /** Records why `resource` (a string or token) may contain a wildcard. */
  public resource(resource: string, reason: string): string {
    const finding = `Resource::${flattenCfnReference(this.stack.resolve(resource))}`;
    const known = this.reasons.get(finding);
    this.reasons.set(finding, known && !known.includes(reason) ? `${known}; ${reason}` : reason);
    return resource;
  }

  public action(action: string, reason: string): string {
    this.reasons.set(`Action::${action}`, reason);
    return action;
  }

  /** Acknowledges each registered wildcard on the resource that grants it; unregistered wildcards stay findings. */
  public acknowledgeAll(): void {
    for (const node of this.stack.node.findAll()) {
      if (!CfnResource.isCfnResource(node)) continue;
      for (const finding of wildcardFindings(node)) {
        const reason = this.reasons.get(finding);
        if (reason) Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
      }
    }
  }
}

/** The wildcards in a role's or policy's Allow statements, the way AwsSolutions-IAM5 reports them. */
function wildcardFindings(node: IConstruct): string[] {
  const stack = Stack.of(node);
  const documents: unknown[] = [];
  if (node instanceof CfnRole) {
    // L1 property names (policyDocument), as AwsSolutions-IAM5 reads them.
    const policies = (stack.resolve(node.policies) ?? []) as { policyDocument?: unknown }[];
    for (const policy of policies) documents.push(stack.resolve(stack.resolve(policy).policyDocument));
  } else if (node instanceof CfnPolicy || node instanceof CfnManagedPolicy) {
    documents.push(stack.resolve(node.policyDocument));
  }
  const findings = new Set<string>();
  for (const document of documents) {
    const statements = ((document as { Statement?: PolicyStatementJson[] } | undefined)?.Statement ?? []).filter(
      (s) => s.Effect === 'Allow',
    );
    for (const statement of statements) {
      for (const action of list(statement.Action))
        if (String(action).includes('*')) findings.add(`Action::${String(action)}`);
      for (const resource of list(statement.Resource)) {
        const flat = flattenCfnReference(resource);
        if (flat.includes('*')) findings.add(`Resource::${flat}`);
      }
    }
  }
  return [...findings];
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
