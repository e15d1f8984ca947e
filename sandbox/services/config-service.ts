// AWS Config in the sandbox: GetResourceConfigHistory over the scenario's configuration items.
import type {
  ConfigurationItem,
  GetResourceConfigHistoryCommandInput,
  GetResourceConfigHistoryCommandOutput,
} from '@aws-sdk/client-config-service';
import { awsError } from '../errors';
import type { CallContext } from '../sandbox';

/** GetResourceConfigHistory returns at most 100 items per page (AWS Config API Reference, `limit`). */
const MAX_LIMIT = 100;

const DATE_FIELDS = ['configurationItemCaptureTime', 'resourceCreationTime', 'configurationItemDeliveryTime'] as const;

/** Scenario items keep ISO strings; the SDK hands callers Date objects. */
function toItem(record: Record<string, unknown>): ConfigurationItem {
  const item: Record<string, unknown> = { ...record };
  for (const field of DATE_FIELDS) if (typeof item[field] === 'string') item[field] = new Date(item[field] as string);
  return item as ConfigurationItem;
}

function getResourceConfigHistory(
  ctx: CallContext,
  input: GetResourceConfigHistoryCommandInput,
): Partial<GetResourceConfigHistoryCommandOutput> {
  const limit = input.limit ?? 10;
  if (limit < 0 || limit > MAX_LIMIT) throw awsError('InvalidLimitException', `limit must be at most ${MAX_LIMIT}`);
  const all = ctx.regionState.configurationItems
    .map(toItem)
    .filter((item) => item.resourceType === input.resourceType && item.resourceId === input.resourceId);
  if (all.length === 0) {
    throw awsError(
      'ResourceNotDiscoveredException',
      `Resource ${input.resourceId} of resourceType:${input.resourceType} is unknown or has not been discovered`,
    );
  }
  const later = input.laterTime?.getTime() ?? Number.MAX_SAFE_INTEGER;
  const earlier = input.earlierTime?.getTime() ?? 0;
  const forward = input.chronologicalOrder === 'Forward';
  const items = all
    .filter((item) => {
      const at = item.configurationItemCaptureTime!.getTime();
      return at >= earlier && at <= later;
    })
    .sort(
      (a, b) =>
        (a.configurationItemCaptureTime!.getTime() - b.configurationItemCaptureTime!.getTime()) * (forward ? 1 : -1),
    );
  const offset = input.nextToken ? Number(Buffer.from(input.nextToken, 'base64').toString().replace('config:', '')) : 0;
  if (!Number.isInteger(offset)) throw awsError('InvalidNextTokenException', 'The specified next token is invalid.');
  const size = limit === 0 ? 10 : limit;
  const page = items.slice(offset, offset + size);
  const nextToken =
    offset + size < items.length ? Buffer.from(`config:${offset + size}`).toString('base64') : undefined;
  return { configurationItems: page, nextToken };
}

export const configService = {
  GetResourceConfigHistory: getResourceConfigHistory,
};
