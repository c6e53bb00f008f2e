export * from './key-source.js';
export * from './middleware.js';
export * from './principal.js';
export * from './problems.js';
export * from './settings.js';
export * from './token-verifier.js';
