import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT, component, type ComponentName, type StackComponent } from './components.js';

/**
 * Where built binaries live: outside the repository, so a fresh clone on a machine that built them
 * before reuses them. CINEMETRICS_STACK_CACHE overrides it.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['CINEMETRICS_STACK_CACHE'];
  if (override) return path.resolve(override);
  const base = env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'cinemetrics', 'stack');
}

export interface ResolvedComponent {
  component: StackComponent;
  /** The pinned version of its upstream module, read from go.mod. */
  moduleVersion: string;
  /** Upstream's release name for it. */
  release: string;
  /** The cache folder: component, release and a digest of everything the build reads. */
  directory: string;
}

export async function moduleVersion(stackComponent: StackComponent, root = REPOSITORY_ROOT): Promise<string> {
  const goMod = await readFile(path.join(root, stackComponent.moduleDir, 'go.mod'), 'utf8');
  const escaped = stackComponent.versionModule.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!match?.[1]) throw new Error(`${stackComponent.moduleDir}/go.mod does not require ${stackComponent.versionModule}`);
  return match[1];
}

/** A digest of the module's files and the build settings: any change builds anew under a new folder. */
async function buildDigest(stackComponent: StackComponent, root: string): Promise<string> {
  const hash = createHash('sha256');
  const dir = path.join(root, stackComponent.moduleDir);
  const files = (await readdir(dir)).filter((file) => file === 'go.mod' || file === 'go.sum' || file.endsWith('.go')).sort();
  for (const file of files) hash.update(file).update('\0').update(await readFile(path.join(dir, file))).update('\0');
  for (const binary of stackComponent.binaries) {
    hash.update(JSON.stringify({ ...binary, versionStamp: binary.versionStamp?.('') }));
  }
  for (const files of stackComponent.files ?? []) hash.update(JSON.stringify(files));
  return hash.digest('hex').slice(0, 12);
}

/** `root` is the repository holding the component's module folder (tests use a copy). */
export async function resolveComponent(name: ComponentName, env: NodeJS.ProcessEnv = process.env, root = REPOSITORY_ROOT): Promise<ResolvedComponent> {
  const stackComponent = component(name);
  const version = await moduleVersion(stackComponent, root);
  const release = stackComponent.release(version);
  const directory = path.join(cacheRoot(env), `${name}-${release}-${await buildDigest(stackComponent, root)}`);
  return { component: stackComponent, moduleVersion: version, release, directory };
}

/** Binaries are looked up often (every test that starts Prometheus); the module files are hashed once per process. */
const resolvedForLookup = new Map<string, Promise<ResolvedComponent>>();

/** The path of a built binary; throws, saying how to build it, when it is not in the cache. */
export function stackBinary(name: ComponentName, binary: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return builtPath(name, binary, env);
}

/** The folder of data files a component copied from a pinned module (`ModuleFiles.into`); throws like stackBinary. */
export function stackFiles(name: ComponentName, folder: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return builtPath(name, folder, env);
}

async function builtPath(name: ComponentName, relative: string, env: NodeJS.ProcessEnv): Promise<string> {
  const key = `${name}\0${cacheRoot(env)}`;
  let resolving = resolvedForLookup.get(key);
  if (resolving === undefined) {
    resolving = resolveComponent(name, env);
    resolvedForLookup.set(key, resolving);
  }
  const resolved = await resolving;
  const file = path.join(resolved.directory, relative);
  if (!existsSync(file)) {
    throw new Error(`${relative} (${name} ${resolved.release}) is not built yet: run npm run stack:build (expected ${file})`);
  }
  return file;
}
