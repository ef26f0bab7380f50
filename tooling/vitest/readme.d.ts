/** The first ```ts block under the README's "## Usage" heading. */
export function readmeExample(packageDir: string): string;
/**
 * Run the README's usage example inside the package; resolves to the number of `assert` calls it makes.
 * A failed assertion rejects.
 */
export function runReadmeExample(packageDir: string): Promise<number>;
