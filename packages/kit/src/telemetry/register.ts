/**
 * The preload: `node --require @cinemetrics/kit/register dist/src/main.js`. It must run before any
 * application module so require hooks see koa, http, undici, mysql2 and pino load; it therefore
 * imports nothing that those instrumentations patch.
 */
import { ConfigError } from '../config.js';
import { startTelemetry } from './sdk.js';
import { loadTelemetrySettings } from './settings.js';
import { setTelemetry } from './state.js';

try {
  setTelemetry(startTelemetry(loadTelemetrySettings()));
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`telemetry: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
