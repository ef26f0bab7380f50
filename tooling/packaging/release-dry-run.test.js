// @ts-check
import { describe, expect, it } from 'vitest';
import { changelogProblems, releaseDryRun } from './release-dry-run.js';

describe('changelogProblems', () => {
  const generated = [
    '# @vfio-sim/platform',
    '',
    '## 0.1.0',
    '### Minor Changes',
    '',
    '- First release: errno, virtual time,',
    '  tracing.',
    '',
  ].join('\n');

  it('accepts what changesets writes', () => {
    expect(changelogProblems(generated, '@vfio-sim/platform', '0.1.0')).toEqual([]);
  });

  it('finds a hand edit, a wrong title and a version that is not the package’s', () => {
    const edited = `${generated}\nNote: also fixed a typo by hand.\n`;
    expect(changelogProblems(edited, '@vfio-sim/platform', '0.2.0')).toEqual([
      'first section is 0.1.0, package.json says 0.2.0',
      'line 9 is not what changesets writes: "Note: also fixed a typo by hand."',
    ]);
    expect(changelogProblems(generated, '@vfio-sim/qm-hw', '0.1.0')[0]).toBe(
      'first line is not "# @vfio-sim/qm-hw"',
    );
  });
});

it('the release dry run (changeset version, pnpm pack, publint, attw in a scratch copy) finds no problem', async () => {
  const { problems, packed } = await releaseDryRun();
  expect(problems).toEqual([]);
  expect(packed.length).toBeGreaterThan(0);
});
