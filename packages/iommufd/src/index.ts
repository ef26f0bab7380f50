/**
 * @packageDocumentation
 * iommufd: IO address spaces, IO page tables and dirty tracking. Built so far: the dirty bitmap shared
 * by iommufd's GET_DIRTY_BITMAP and vfio's DMA_LOGGING_REPORT.
 */
export { IovaBitmap } from './iova-bitmap.js';
