// "Did you mean": the known names closest to a name nobody declared (a misspelled or renamed key),
// by edit distance, so an error or warning can say what the user probably meant.

/** Levenshtein distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

/** Up to `n` known names, nearest first (ties in the given order). */
export function nearestNames(name: string, known: readonly string[], n = 3): string[] {
  return known
    .map((k, i) => ({ k, i, d: distance(name, k) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, n)
    .map((e) => e.k);
}
