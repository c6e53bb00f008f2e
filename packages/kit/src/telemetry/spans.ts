// The downstream client's imports; the telemetry itself lives in @cinemetrics/telemetry.
export { withSpan } from '@cinemetrics/telemetry';
