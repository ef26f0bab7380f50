export { Prng } from './prng.js';
