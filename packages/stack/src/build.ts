import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT, type ComponentName, type GoBinary, type ModuleFiles } from './components.js';
import { resolveComponent, type ResolvedComponent } from './cache.js';

export class BuildError extends Error {
  constructor(
    readonly componentName: ComponentName,
    message: string,
  ) {
    super(`${componentName}: ${message}`);
  }
}

/** Every build pins its toolchain to the machine's Go and links statically. */
const GO_ENV = { GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' };

export interface CommandOutput {
  code: number | null;
  /** stdout and stderr, interleaved. */
  text: string;
}

/** Runs a command to completion; `env` is laid over this process's environment. */
export function runCommand(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<CommandOutput> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    // Decoded as streams, so a character whose bytes straddle two chunks stays whole.
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    child.once('error', (error) => resolve({ code: -1, text: error.message }));
    child.once('close', (code) => resolve({ code, text }));
  });
}

function run(command: string, args: string[], cwd: string): Promise<CommandOutput> {
  return runCommand(command, args, cwd, GO_ENV);
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** The module-cache folder of `module` at the version the component's go.mod pins. */
async function moduleSource(resolved: ResolvedComponent, module: string, cwd: string): Promise<string> {
  const { code, text } = await run('go', ['mod', 'download', '-json', module], cwd);
  const dir = code === 0 ? (JSON.parse(text) as { Dir?: string }).Dir : undefined;
  if (!dir) throw new BuildError(resolved.component.name, `go mod download ${module} failed:\n${lastLines(text, 20)}`);
  return dir;
}

/**
 * Where to run `go build` for a binary. Files cannot be added to the read-only module cache (and
 * `go build -overlay` refuses paths below it), so a binary that needs placeholders builds from a
 * scratch copy of the component's go.mod and go.sum in which the upstream module is replaced by a
 * copy of its pinned source plus the placeholders: every other dependency keeps its pinned checksum.
 */
async function buildDirectory(resolved: ResolvedComponent, binary: GoBinary, scratch: string): Promise<string> {
  const moduleDir = path.join(REPOSITORY_ROOT, resolved.component.moduleDir);
  if (!binary.embedPlaceholders?.length) return moduleDir;
  const cwd = path.join(scratch, binary.name, 'module');
  await mkdir(cwd, { recursive: true });
  for (const file of ['go.mod', 'go.sum']) await copyFile(path.join(moduleDir, file), path.join(cwd, file));
  for (const [index, placeholder] of binary.embedPlaceholders.entries()) {
    const copy = path.join(scratch, binary.name, `source-${index}`);
    await cp(await moduleSource(resolved, placeholder.module, moduleDir), copy, { recursive: true });
    await chmodWritable(copy);
    await mkdir(path.dirname(path.join(copy, placeholder.file)), { recursive: true });
    await writeFile(path.join(copy, placeholder.file), placeholder.content);
    const replaced = await run('go', ['mod', 'edit', `-replace=${placeholder.module}=${copy}`], cwd);
    if (replaced.code !== 0) throw new BuildError(resolved.component.name, `go mod edit failed:\n${lastLines(replaced.text, 20)}`);
  }
  return cwd;
}

/** The module cache's files are read-only; the copy must take new files and be removable. */
async function chmodWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await chmodWritable(full);
    else await chmod(full, 0o644);
  }
}

async function buildBinary(resolved: ResolvedComponent, binary: GoBinary, into: string, scratch: string): Promise<void> {
  const cwd = await buildDirectory(resolved, binary, scratch);
  const stamps = binary.versionStamp?.(resolved.release) ?? [];
  const args = [
    'build',
    '-trimpath',
    `-ldflags=-s -w${stamps.map((stamp) => ` -X ${stamp}`).join('')}`,
    ...(binary.tags?.length ? [`-tags=${binary.tags.join(',')}`] : []),
    '-o',
    path.join(into, binary.name),
    binary.package,
  ];
  const { code, text } = await run('go', args, cwd);
  if (code !== 0) throw new BuildError(resolved.component.name, `go build ${binary.package} failed:\n${lastLines(text, 30)}`);
}

/** Copies a pinned module's data files into the component's folder; a zip with another hash stops the build. */
async function copyModuleFiles(resolved: ResolvedComponent, files: ModuleFiles, into: string): Promise<void> {
  const moduleDir = path.join(REPOSITORY_ROOT, resolved.component.moduleDir);
  const { code, text } = await run('go', ['mod', 'download', '-json', `${files.module}@${files.version}`], moduleDir);
  const downloaded = code === 0 ? (JSON.parse(text) as { Dir?: string; Sum?: string }) : {};
  if (!downloaded.Dir) throw new BuildError(resolved.component.name, `go mod download ${files.module}@${files.version} failed:\n${lastLines(text, 20)}`);
  if (downloaded.Sum !== files.sum) {
    throw new BuildError(resolved.component.name, `${files.module}@${files.version} has hash ${downloaded.Sum ?? '(none)'}, expected ${files.sum}`);
  }
  const source = path.join(downloaded.Dir, files.from);
  const target = path.join(into, files.into);
  await mkdir(target, { recursive: true });
  const names = (await readdir(source)).filter((name) => name.endsWith(files.suffix));
  if (names.length === 0) throw new BuildError(resolved.component.name, `${files.module}@${files.version} has no ${files.from}/*${files.suffix}`);
  for (const name of names) await copyFile(path.join(source, name), path.join(target, name));
}

export type BuildOutcome = { resolved: ResolvedComponent; built: boolean; seconds: number };

/**
 * Builds a component's binaries into its cache folder unless they are there already. The build
 * writes a sibling folder and renames it into place, so an interrupted build leaves nothing that
 * looks finished.
 */
export async function ensureBuilt(name: ComponentName): Promise<BuildOutcome> {
  const started = performance.now();
  const resolved = await resolveComponent(name);
  if (existsSync(resolved.directory)) return { resolved, built: false, seconds: 0 };
  await mkdir(path.dirname(resolved.directory), { recursive: true });
  const partial = `${resolved.directory}.partial-${process.pid}`;
  const scratch = await mkdtemp(path.join(os.tmpdir(), `stack-build-${name}-`));
  try {
    await mkdir(partial, { recursive: true });
    for (const binary of resolved.component.binaries) await buildBinary(resolved, binary, partial, scratch);
    for (const files of resolved.component.files ?? []) await copyModuleFiles(resolved, files, partial);
    await rename(partial, resolved.directory);
  } finally {
    await rm(partial, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  }
  return { resolved, built: true, seconds: (performance.now() - started) / 1000 };
}

/** `go version`'s answer; throws when there is no Go toolchain. */
export async function goVersion(): Promise<string> {
  const { code, text } = await run('go', ['version'], REPOSITORY_ROOT);
  if (code !== 0) {
    throw new Error(`the Go toolchain is needed to build the stack (go version: ${lastLines(text, 3) || 'not found'})`);
  }
  return text.trim();
}
