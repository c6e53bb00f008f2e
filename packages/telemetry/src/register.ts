/**
 * The preload: `node --require @cinemetrics/telemetry/register dist/src/main.js`. It must run before any
 * application module so require hooks see koa, http, undici and pino load; it therefore
 * imports nothing that those instrumentations patch.
 */
import './node-version.js';
import { isMainThread } from 'node:worker_threads';
import { ConfigError } from './env.js';
import { startTelemetry } from './sdk.js';
import { loadTelemetrySettings } from './settings.js';
import { setTelemetry } from './state.js';

// Worker threads inherit --require; the log-export worker must not start a second SDK.
if (isMainThread) {
  try {
    setTelemetry(startTelemetry(loadTelemetrySettings()));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`telemetry: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
