// The modules a task Lambda bundles: its task file and every project module it imports, so its role covers their calls too.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { projectRoot } from '../../tasks/lib/paths';

/** `import … from './x'`, `export … from './x'` and `import('./x')`, but not `import type` (erased, so not bundled). */
const RELATIVE_IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

/** The file (relative to the repository root) and every relative module it loads at run time, transitively, sorted. */
export function importClosure(file: string): string[] {
  const root = projectRoot();
  const seen = new Set<string>();
  const visit = (relativeFile: string): void => {
    if (seen.has(relativeFile)) return;
    seen.add(relativeFile);
    const text = readFileSync(join(root, relativeFile), 'utf8');
    for (const match of text.matchAll(RELATIVE_IMPORT)) {
      const resolved = resolveModule(root, join(dirname(relativeFile), match[1] ?? match[2]));
      if (resolved) visit(resolved);
    }
  };
  visit(normalize(file));
  return [...seen].sort();
}

function resolveModule(root: string, base: string): string | undefined {
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(join(root, candidate))) return relative(root, join(root, candidate));
  }
  return undefined;
}
