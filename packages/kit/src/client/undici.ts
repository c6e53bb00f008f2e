/**
 * undici, loaded when the first downstream client is made: a service that calls no other service
 * never loads it, and loading it is a good part of a service's start-up.
 */
export function undici(): typeof import('undici') {
  return require('undici') as typeof import('undici');
}
