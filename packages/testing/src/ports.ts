export { freePort } from '@cinemetrics/stack';
