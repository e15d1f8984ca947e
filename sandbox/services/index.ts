// The operations the sandbox models, per SDK client: anything not listed here throws UnsupportedOperation.
import type { CallContext } from '../sandbox';
import { sts } from './sts';

/** A handler takes its command's input (typed by the handler itself) and returns the command's output. */
export type ServiceHandlers = Readonly<Record<string, (ctx: CallContext, input: never) => unknown>>;

export const SERVICES: Readonly<Record<string, ServiceHandlers>> = {
  STS: sts,
};
