import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { functionOf, listStates, placeholders, substitute } from '../../statemachines/definition';
import { TASKS } from '../../statemachines/tasks';
import { projectRoot } from '../../tasks/lib/paths';

// asl-validator ships no type declarations, and it mutates what it checks: it is always given a clone.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validate = require('asl-validator') as (
  definition: unknown,
  options?: object,
) => { isValid: boolean; errors: unknown[] };

const dir = join(projectRoot(), 'statemachines');
const files = readdirSync(dir).filter((file) => file.endsWith('.asl.json'));

function resolved(text: string): unknown {
  const values = Object.fromEntries(
    placeholders(text).map((name) => [name, `arn:aws:lambda:eu-west-1:111111111111:function:custody-${name}`]),
  );
  return JSON.parse(substitute(text, values));
}

describe('the state machines in statemachines/', () => {
  it('has at least the collect-evidence machine', () => {
    expect(files).toContain('collect-evidence.asl.json');
  });

  it.each(files)(
    '%s never writes a result or error to "$", which the local runner would store under a key named $',
    (file) => {
      // In AWS, ResultPath "$" replaces the state; aws-local-stepfunctions sets a field called "$" instead, so the two would
      // run different flows. Omitting ResultPath means the same thing in both.
      const paths: string[] = [];
      JSON.parse(readFileSync(join(dir, file), 'utf8'), (key: string, value: unknown) => {
        if (key === 'ResultPath' && value === '$') paths.push(key);
        return value;
      });
      expect(paths).toEqual([]);
    },
  );

  it.each(files)('%s is valid Amazon States Language once its placeholders are substituted', (file) => {
    const definition = resolved(readFileSync(join(dir, file), 'utf8'));
    const result = validate(structuredClone(definition), { checkPaths: true, checkArn: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it.each(files)('%s uses only JSONPath, polling loops and no callback or .sync integrations', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text).not.toMatch(/JSONata|waitForTaskToken|\.sync|"Assign"/);
  });

  it.each(files)('every Task of %s names a task module, retries transient errors and catches the rest', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const definition = JSON.parse(text) as unknown;
    const tasks = listStates(definition).filter((state) => state.type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    const raw = JSON.stringify(definition);
    for (const task of tasks) {
      const fn = functionOf(task.resource);
      expect(fn && TASKS[fn]).toBeTruthy();
    }
    const parsed = definition as { States: Record<string, Record<string, unknown>> };
    const all = collect(parsed);
    for (const [name, state] of Object.entries(all)) {
      if (state.Type !== 'Task') continue;
      const retry = state.Retry as { ErrorEquals: string[] }[];
      expect({ name, throttling: retry.some((r) => r.ErrorEquals.includes('ThrottlingException')) }).toEqual({
        name,
        throttling: true,
      });
      expect({ name, transient: retry.some((r) => r.ErrorEquals.includes('TransientError')) }).toEqual({
        name,
        transient: true,
      });
      expect({ name, catches: Array.isArray(state.Catch) && (state.Catch as unknown[]).length > 0 }).toEqual({
        name,
        catches: true,
      });
    }
    expect(raw).toContain('"Type":"Map"');
  });
});

function collect(definition: {
  States: Record<string, Record<string, unknown>>;
}): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    out[name] = state;
    const processor = state.ItemProcessor as { States: Record<string, Record<string, unknown>> } | undefined;
    if (processor) Object.assign(out, collect(processor));
  }
  return out;
}
