import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { REPOSITORY_ROOT } from '@cinemetrics/testing';
import { parseCircular, parseDependencyTree, type DependencyTree } from 'dpdm';

// Type-only imports count: a cycle through types still ties two modules together.
const SOURCES = ['packages/*/src/**/*.ts', 'services/*/src/**/*.ts', 'scripts/src/**/*.ts'];

async function sourceTree(): Promise<DependencyTree> {
  return parseDependencyTree(SOURCES, { context: REPOSITORY_ROOT, cwd: REPOSITORY_ROOT, transform: false });
}

/** A folder under a `src` is one module (`packages/kit/src/http`); a file directly in `src` is one of its own. */
function moduleOf(file: string): string {
  const match = /^((?:packages|services)\/[^/]+\/src|scripts\/src)\/([^/]+)/.exec(file.split(path.sep).join('/'));
  return match ? `${match[1]}/${match[2]}` : file;
}

/** The edges between modules, each with the file imports that make it. */
function moduleGraph(tree: DependencyTree): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const [file, dependencies] of Object.entries(tree)) {
    const from = moduleOf(file);
    const edges = graph.get(from) ?? new Map<string, string[]>();
    graph.set(from, edges);
    for (const dependency of dependencies ?? []) {
      if (dependency.id === null || dependency.id.includes('node_modules')) continue;
      const to = moduleOf(dependency.id);
      if (to !== from) edges.set(to, [...(edges.get(to) ?? []), `${file} → ${dependency.id}`]);
    }
  }
  return graph;
}

/** Strongly connected components with more than one module (Tarjan). */
function cyclicComponents(graph: Map<string, Map<string, string[]>>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node)!);
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (stack.includes(next)) {
        lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
      }
    }
    if (lowLink.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop()!;
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return components;
}

test('the analysis sees the imports (a module known to import another does)', async () => {
  const graph = moduleGraph(await sourceTree());
  assert.ok(graph.get('packages/kit/src/http')?.has('packages/kit/src/problem.ts'), 'http → problem.ts was not found: the tool resolves nothing');
});

test('no source file imports itself through other files', async () => {
  const cycles = parseCircular(await sourceTree());
  assert.deepEqual(cycles.map((cycle) => cycle.join(' → ')), []);
});

test('no module (a folder under src, or a file directly in it) depends on itself through other modules', async () => {
  const graph = moduleGraph(await sourceTree());
  const explained = cyclicComponents(graph).map((component) => ({
    modules: component.join(', '),
    imports: component.flatMap((from) => component.flatMap((to) => graph.get(from)?.get(to) ?? [])),
  }));
  assert.deepEqual(explained, []);
});
