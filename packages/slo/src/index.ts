export * from './definitions.js';
export * from './duration.js';
export * from './generate.js';
export * from './render.js';
export * from './rule-model.js';
export * from './rules.js';
export * from './runbooks.js';
export { NO_SLO, THRESHOLDS, serviceAlertGroups } from './service-rules.js';
export { COLLECTORS, HEARTBEAT, MONITORING_COMPONENTS, MONITORING_THRESHOLDS, monitoringAlertGroup } from './monitoring-rules.js';
