// The JSON objects a bench's child process printed, one per line that starts with "{" (a line of a table or log
// that happens to start with "{" and does not parse is passed over): how the benches read their children's results.
export function jsonLines(stdout) {
  return (stdout || '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}
