// Loads the ASL files of statemachines/ and fills their ${Placeholders}: the same text CDK deploys and the local runner executes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../tasks/lib/paths';

export const COLLECT_EVIDENCE = 'collect-evidence';

/** Path of a state machine's ASL file, resolved from the package, never from the working directory. */
export function definitionPath(name: string = COLLECT_EVIDENCE): string {
  return join(projectRoot(), 'statemachines', `${name}.asl.json`);
}

export function readDefinitionText(name: string = COLLECT_EVIDENCE): string {
  return readFileSync(definitionPath(name), 'utf8');
}

/** Every `${Name}` placeholder in the definition. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((match) => match[1]))].sort();
}

/** Replaces the placeholders as Step Functions' definitionSubstitutions does; a missing value is an error. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z0-9]+)\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no substitution for \${${name}}`);
    return value;
  });
}

export interface StateInfo {
  readonly name: string;
  readonly type: string;
  readonly resource?: string;
  /** Names of the enclosing Map/Parallel states, outermost first. */
  readonly parents: readonly string[];
  /** For a Map: whether its iterations run inline or as child executions (`ItemProcessor.ProcessorConfig.Mode`). */
  readonly mode?: 'INLINE' | 'DISTRIBUTED';
  /** A Distributed Map's `Label`: its child executions are named `<state machine>/<Label>:<id>`. */
  readonly label?: string;
  /** A Map's `ItemsPath`: where in its input the items are. */
  readonly itemsPath?: string;
}

interface StatesObject {
  readonly States: Record<
    string,
    {
      Type: string;
      Resource?: string;
      Label?: string;
      ItemsPath?: string;
      ItemProcessor?: StatesObject & { ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED' } };
      Iterator?: StatesObject;
      Branches?: StatesObject[];
    }
  >;
}

/** Every state of a definition, nested ones included (state names are unique across the whole machine). */
export function listStates(definition: unknown, parents: readonly string[] = []): StateInfo[] {
  const states: StateInfo[] = [];
  for (const [name, state] of Object.entries((definition as StatesObject).States)) {
    const mode = state.Type === 'Map' ? (state.ItemProcessor?.ProcessorConfig?.Mode ?? 'INLINE') : undefined;
    const label = state.Label;
    states.push({
      name,
      type: state.Type,
      resource: state.Resource,
      parents,
      ...(mode ? { mode } : {}),
      ...(label ? { label } : {}),
      ...(state.ItemsPath ? { itemsPath: state.ItemsPath } : {}),
    });
    const children = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter(
      (child): child is StatesObject => !!child,
    );
    for (const child of children) states.push(...listStates(child, [...parents, name]));
  }
  return states;
}

/** The Distributed Map a state runs inside (its outermost enclosing Map, when distributed): its states are a child's. */
export function distributedMapOf(byName: ReadonlyMap<string, StateInfo>, stateName: string): string | undefined {
  const outermost = byName.get(stateName)?.parents[0];
  return outermost !== undefined && byName.get(outermost)?.mode === 'DISTRIBUTED' ? outermost : undefined;
}

/** The Lambda function name a Task state's placeholder stands for: `${PreserveInstanceFunctionArn}` → `PreserveInstance`. */
export function functionOf(resource: string | undefined): string | undefined {
  return /^\$\{([A-Za-z0-9]+)FunctionArn\}$/.exec(resource ?? '')?.[1];
}
