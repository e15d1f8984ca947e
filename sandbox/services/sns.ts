// SNS in the sandbox: Publish to a topic the scenario declares, recording each message on the topic so tests can read it.
import { randomUUID } from 'node:crypto';
import type { PublishCommandInput, PublishCommandOutput } from '@aws-sdk/client-sns';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';

const TOPIC_ARN = /^arn:aws(?:-cn|-us-gov)?:sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256}(?:\.fifo)?)$/;
// Publish limits (SNS API Reference, Publish): Message at most 256 KiB of UTF-8; Subject at most 100 printable ASCII
// characters, no line breaks; and "you can publish messages only to topics and endpoints in the same Region".
const MAX_MESSAGE_BYTES = 262_144;
const SUBJECT = /^[\x20-\x7e]{1,100}$/;

function publish(ctx: CallContext, input: PublishCommandInput): Partial<PublishCommandOutput> {
  if (!input.TopicArn)
    throw awsError(
      'InvalidParameterException',
      'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
    );
  const match = TOPIC_ARN.exec(input.TopicArn);
  if (!match)
    throw awsError(
      'InvalidParameterException',
      `Invalid parameter: TopicArn Reason: ${input.TopicArn} is not a topic ARN`,
    );
  const [, region, accountId] = match;
  if (region !== ctx.region)
    throw awsError(
      'InvalidParameterException',
      `Invalid parameter: TopicArn Reason: A ARN must be in the same region as the client (${ctx.region})`,
    );
  if (input.Message === undefined || input.Message === '')
    throw awsError('InvalidParameterException', 'Invalid parameter: Empty message');
  if (Buffer.byteLength(input.Message) > MAX_MESSAGE_BYTES)
    throw awsError('InvalidParameterException', 'Invalid parameter: Message too long');
  if (input.Subject !== undefined && !SUBJECT.test(input.Subject))
    throw awsError('InvalidParameterException', 'Invalid parameter: Subject');
  const topic = ctx.sandbox.account(accountId)?.snsTopics?.find((candidate) => candidate.topicArn === input.TopicArn);
  if (!topic) throw awsError('NotFoundException', 'Topic does not exist', { httpStatusCode: 404 });
  // A topic in another account takes messages only if its policy allows; the sandbox models same-account topics only.
  if (accountId !== ctx.caller.accountId)
    throw awsError(
      'AuthorizationErrorException',
      `User: ${ctx.caller.arn} is not authorized to perform: SNS:Publish on resource: ${input.TopicArn}`,
      { httpStatusCode: 403 },
    );
  const messageId = randomUUID();
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) attributes[name] = value.StringValue ?? '';
  topic.messages.push({
    messageId,
    ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
    message: input.Message,
    publishedAt: new Date().toISOString(),
    attributes,
  });
  return { MessageId: messageId };
}

export const sns = { Publish: publish };
