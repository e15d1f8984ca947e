// SSM Parameter Store in the sandbox: String parameters from the scenario (the workstation's AMI id).
import type { GetParameterCommandInput, GetParameterCommandOutput } from '@aws-sdk/client-ssm';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';

/** GetParameter (SSM API reference): an unknown name is ParameterNotFound. */
function getParameter(ctx: CallContext, input: GetParameterCommandInput): Partial<GetParameterCommandOutput> {
  const name = input.Name ?? '';
  const value = ctx.regionState.parameters?.[name];
  if (value === undefined) throw awsError('ParameterNotFound', `Parameter ${name} not found.`);
  return {
    Parameter: {
      Name: name,
      Type: 'String',
      Value: value,
      Version: 1,
      ARN: `arn:aws:ssm:${ctx.region}:${ctx.caller.accountId}:parameter/${name.replace(/^\//, '')}`,
      DataType: name.includes('ami') ? 'aws:ec2:image' : 'text',
    },
  };
}

export const ssmParameters = { GetParameter: getParameter };
