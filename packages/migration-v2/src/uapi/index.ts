export { VFIO_MIG_GET_PRECOPY_INFO, vfio_precopy_info } from './precopy-info.js';
