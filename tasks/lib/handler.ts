// Wraps a task's pure core into a Lambda handler and a local runner handler: parse the input at the edge, then call the core.
import type { z } from 'zod';
import { InvalidInputError } from './errors';
import type { TaskDeps } from './task';

export type TaskCore<S extends z.ZodType, O> = (input: z.infer<S>, deps: TaskDeps) => Promise<O>;

/** Validates a state's input with the task's schema and runs the core; a bad input is an InvalidInputError naming the field. */
export async function runTask<S extends z.ZodType, O>(
  schema: S,
  core: TaskCore<S, O>,
  event: unknown,
  deps: TaskDeps,
): Promise<O> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(`invalid task input at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return core(parsed.data, deps);
}

/** A task as the state machine sees it: its schema and core, so Lambda and the local runner call it the same way. */
export interface TaskDefinition<S extends z.ZodType, O> {
  readonly name: string;
  readonly schema: S;
  readonly core: TaskCore<S, O>;
}

export function defineTask<S extends z.ZodType, O>(
  name: string,
  schema: S,
  core: TaskCore<S, O>,
): TaskDefinition<S, O> {
  return { name, schema, core };
}

/** The Lambda entry point for a task: dependencies come from the function's environment (see tasks/lib/lambda-deps.ts). */
export function lambdaHandler<S extends z.ZodType, O>(task: TaskDefinition<S, O>): (event: unknown) => Promise<O> {
  return async (event: unknown) => {
    const { lambdaDeps } = await import('./lambda-deps');
    return runTask(task.schema, task.core, event, await lambdaDeps());
  };
}
