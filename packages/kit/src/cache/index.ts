export * from './read-through.js';
