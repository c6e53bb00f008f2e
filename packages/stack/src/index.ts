export { BACKEND_COMPONENT_NAMES, COMPONENTS, COMPONENT_NAMES, REPOSITORY_ROOT, component, type ComponentName, type ModuleFiles, type StackComponent } from './components.js';
export { cacheRoot, resolveComponent, stackBinary, stackFiles, type ResolvedComponent } from './cache.js';
export { BuildError, ensureBuilt, goVersion, runCommand, type CommandOutput } from './build.js';
export { buildStack } from './build-cli.js';
export { DEFAULT_STACK_PORTS, freePort, freePortBase, freePortSet, freeStackPorts, type StackPorts } from './ports.js';
export { startStack, type RunningStack, type ScrapeTarget, type StackOptions } from './launch.js';
export { isAlive, spawnBackend, type BackendProcess } from './process.js';
export { alertmanagerConfigWithWebhooks, writeAlertmanagerConfigWithWebhooks } from './alertmanager-config.js';
export { listenForAlertmanagerWebhooks, type AlertmanagerWebhook, type WebhookAlert, type WebhookNotification } from './alertmanager-webhook.js';
