// Finds the SDK commands each source file constructs (`new <X>Command(`), with the client package it imports them from.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../../tasks/lib/paths';
import { SDK_PACKAGE_CLIENT } from '../../tasks/lib/permissions';

/** Every .ts file under the given folders, relative to the repository root. */
export function sourceFiles(...folders: string[]): string[] {
  const root = projectRoot();
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith('.ts') ? [relative(root, path)] : [];
    });
  return folders.flatMap((folder) => walk(join(root, folder))).sort();
}

/** `EC2:DescribeInstancesCommand`, … for each command the file constructs; `?:X` when its import could not be resolved. */
export function commandsIn(file: string): string[] {
  const text = readFileSync(join(projectRoot(), file), 'utf8');
  const clientOf = new Map<string, string>();
  for (const match of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/client-[a-z0-9-]+)'/g)) {
    for (const name of match[1].split(',').map((part) => part.trim().split(/\s+as\s+/)[0]))
      clientOf.set(name, SDK_PACKAGE_CLIENT[match[2]] ?? '?');
  }
  const calls = new Set<string>();
  for (const match of text.matchAll(/new\s+([A-Z][A-Za-z0-9]*Command)\s*\(/g))
    calls.add(`${clientOf.get(match[1]) ?? '?'}:${match[1]}`);
  return [...calls].sort();
}
