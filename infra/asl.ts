// Reads the state machine definition shipped in statemachines/ and lists what it needs: one Lambda per `${<State>FunctionArn}`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../tasks/lib/paths';

export const DEFAULT_DEFINITION = 'statemachines/collect-evidence.asl.json';

/** The ASL text exactly as reviewed, resolved from the package root rather than the working directory. */
export function readDefinition(relativePath: string = DEFAULT_DEFINITION): string {
  return readFileSync(join(projectRoot(), relativePath), 'utf8');
}

/** Every `${Name}` placeholder in the definition, sorted. */
export function placeholders(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]))].sort();
}

/** State names whose Lambda the definition invokes, by the `<StateName>FunctionArn` naming rule. */
export function taskStates(definition: string): string[] {
  return placeholders(definition)
    .filter((name) => name.endsWith('FunctionArn'))
    .map((name) => name.slice(0, -'FunctionArn'.length));
}

/** The definition with its placeholders replaced, as Step Functions receives it after `definitionSubstitutions`. */
export function substitute(definition: string, values: Readonly<Record<string, string>>): string {
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => values[name] ?? whole);
}
