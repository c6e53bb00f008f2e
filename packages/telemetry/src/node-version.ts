/**
 * Imported first by every entry point: on a Node older than the project's, stop with a message saying
 * what to run instead of failing later inside a dependency that needs newer built-ins.
 */
const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major < REQUIRED_MAJOR) {
  process.stderr.write(
    `Cinemetrics needs Node ${REQUIRED_MAJOR} or newer; this is Node ${process.versions.node} (${process.execPath}).\n` +
      'Run it through npm (npm start, npm test, npm run seed): npm puts the project\'s Node 24 from\n' +
      'node_modules/.bin/node first on PATH (installed by npm ci, which npm start and npm test run when needed).\n',
  );
  process.exit(2);
}
export {};
