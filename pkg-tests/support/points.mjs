// The points the issue-8 tests log, and the value each (name, step) gets: exact finite values
// with NaN and ±Infinity among them. No dependency on the test environment: child-process
// fixtures import it too.

/** The value logged for (name, step). */
export function valueOf(name, step) {
  if (step % 97 === 11) return NaN;
  if (step % 97 === 12) return name.length % 2 ? -Infinity : Infinity;
  return (step + name.length / 10) / 3;
}

/** `{ name: valueOf(name, step) }` for each of `names`. */
export function pointsAt(names, step) {
  return Object.fromEntries(names.map((name) => [name, valueOf(name, step)]));
}

/**
 * A `dioptra-metrics: N point(s) logged for job J were not stored ...` line in `stderr`, as
 * `{ count, job, line }`, or null when there is none (the line of logger-api.md).
 */
export function exitReport(stderr) {
  const m = /dioptra-metrics: (\d+) point\(s\) logged for job (\d+) were not stored[^\n]*/.exec(stderr);
  return m ? { count: Number(m[1]), job: Number(m[2]), line: m[0] } : null;
}
