export { freePort, freePortBase, freePortSet } from '@cinemetrics/stack';
