export * from './lru.js';
export * from './read-through.js';
