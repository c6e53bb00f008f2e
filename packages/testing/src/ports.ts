export { canListen, freePort } from '@cinemetrics/stack';
