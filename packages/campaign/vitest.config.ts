export { default } from '@vfio-sim/vitest-config';
