export { freePort } from './ports.js';
export { startMariaDb, type MariaDb, type MariaDbOptions } from './mariadb.js';
export {
  startProcess,
  type ExitStatus,
  type LinePredicate,
  type RunningProcess,
  type StartProcessOptions,
} from './service-process.js';
export { httpJson, type HttpResponse } from './http.js';
export { makeTempDir, type TempDir } from './temp.js';
export { REPOSITORY_ROOT, TELEMETRY_PRELOAD, serviceMain, startService, type ServiceName, type StartedService, type StartServiceOptions } from './services.js';
