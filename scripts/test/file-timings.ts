/**
 * How long each test file ran, from its first test starting to its last finishing, as seen by the
 * runner: the summary `npm test` prints last, so the files that hold the suite up (and the order of
 * the lists of run-tests.ts) can be read off each run.
 */
export class FileTimings {
  private readonly spans = new Map<string, { first: number; last: number }>();

  constructor(
    private readonly root: string,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A test of `file` started or finished now. */
  seen(file: string | undefined): void {
    if (file === undefined) return;
    const now = this.now();
    const span = this.spans.get(file);
    if (span) span.last = now;
    else this.spans.set(file, { first: now, last: now });
  }

  /** The `count` longest files, longest first, relative to the repository. */
  longest(count: number): { file: string; seconds: number }[] {
    return [...this.spans]
      .map(([file, { first, last }]) => ({ file: file.startsWith(`${this.root}/`) ? file.slice(this.root.length + 1) : file, seconds: (last - first) / 1000 }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, count);
  }

  summary(count: number): string {
    const rows = this.longest(count).map(({ file, seconds }) => `  ${seconds.toFixed(1).padStart(6)} s  ${file}`);
    return `\nlongest test files (first test started to last finished):\n${rows.join('\n')}\n`;
  }
}
