export * from './experiment.js';
export * from './presets.js';
