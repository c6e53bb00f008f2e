export { ConfigError } from '@cinemetrics/telemetry';
