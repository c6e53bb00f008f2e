export { canListen, freePort, freePortSet } from '@cinemetrics/stack';
