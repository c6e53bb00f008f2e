/** The Node version check, shared with the telemetry preload (which runs first). */
import '@cinemetrics/telemetry/node-version';
