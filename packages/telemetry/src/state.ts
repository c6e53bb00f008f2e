import type { Telemetry } from './sdk.js';

let current: Telemetry | undefined;

/** Set once by the preload (`@cinemetrics/telemetry/register`). */
export function setTelemetry(telemetry: Telemetry): void {
  current = telemetry;
}

/** The running telemetry, or undefined when the process was started without the preload. */
export function getTelemetry(): Telemetry | undefined {
  return current;
}
