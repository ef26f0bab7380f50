import { version } from '../../package.json';

/** The package's version, as `vfio-sim --version` prints it (read from package.json at build time). */
export const CLI_VERSION: string = version;
