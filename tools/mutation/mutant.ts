/**
 * The shape of one deliberate bug for the mutation check
 * (`tools/mutation/run.ts`). Each `tools/mutation/mutants_*.ts` file exports
 * `export const mutants: Mutant[]`.
 *
 * @module
 */

/** One small deliberate bug and the tests that must notice it. */
export interface Mutant {
  /** Unique name, e.g. `ffi-read-nonblocking-waits`; `--only` selects by it. */
  id: string;
  /** The file to change, relative to the repository root. */
  file: string;
  /** Exact text to replace; must occur exactly once, else the mutant is stale. */
  find: string;
  /** What replaces it. */
  replace: string;
  /** Test files (repository-relative) of which at least one must fail. */
  tests: string[];
  /** The guarantee this bug breaks, in a few words. */
  why: string;
}
