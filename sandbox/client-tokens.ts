// EC2 client tokens in the sandbox: a repeated request with the same token gets the first answer and creates nothing more.
import { awsError } from './errors';
import type { CallContext, Sandbox } from './sandbox';

interface Remembered {
  readonly fingerprint: string;
  readonly output: unknown;
}

/** Any EC2 request that takes a client token. */
export interface ClientTokenInput {
  readonly ClientToken?: string | undefined;
}

const remembered = new WeakMap<Sandbox, Map<string, Remembered>>();

/** Request parameters in a stable order, the token itself left out: what "the same request" means. */
function fingerprint(input: ClientTokenInput): string {
  const { ClientToken: _token, ...rest } = input;
  return JSON.stringify(rest, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : value,
  );
}

/**
 * "Ensuring idempotency in Amazon EC2 API requests" (EC2 developer guide): a retry with the same client token and the same
 * parameters succeeds without doing anything more and returns the original result; the same token with other parameters
 * fails with IdempotentParameterMismatch. Tokens are per account and Region.
 */
export function withClientToken<T>(ctx: CallContext, input: ClientTokenInput, create: () => T): T {
  const token = input.ClientToken;
  if (typeof token !== 'string' || token === '') return create();
  if (token.length > 64 || !/^[\x20-\x7e]+$/.test(token))
    throw awsError('InvalidParameterValue', 'ClientToken must be at most 64 ASCII characters');
  const tokens = remembered.get(ctx.sandbox) ?? new Map<string, Remembered>();
  remembered.set(ctx.sandbox, tokens);
  const key = `${ctx.caller.accountId}/${ctx.region}/${ctx.operation}/${token}`;
  const print = fingerprint(input);
  const earlier = tokens.get(key);
  if (earlier) {
    if (earlier.fingerprint !== print)
      throw awsError(
        'IdempotentParameterMismatch',
        `The client token ${token} was used before with different parameters`,
      );
    return earlier.output as T;
  }
  const output = create();
  tokens.set(key, { fingerprint: print, output });
  return output;
}
