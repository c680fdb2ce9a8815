/** Match patterns: `/regex/flags`, globs (`*`, `?`), and plain text (exact, or a substring for messages). */
export interface Pattern {
  readonly source: string;
  /** The captures of a match (index 0 is the whole match), or null when it does not match. */
  exec(value: string): RegExpExecArray | string[] | null;
}

const REGEX = /^\/(.+)\/([dgimsuvy]*)$/s;

export function compilePattern(source: string, plain: "exact" | "substring"): Pattern | string {
  const re = REGEX.exec(source);
  if (re) {
    try {
      const regex = new RegExp(re[1] as string, (re[2] as string).replace("g", ""));
      return { source, exec: (v) => regex.exec(v) };
    } catch (error) {
      return `is not a valid regular expression: ${(error as Error).message}`;
    }
  }
  if (/[*?]/.test(source)) {
    const body = source
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    const regex = new RegExp(`^${body}$`, "s");
    return { source, exec: (v) => regex.exec(v) };
  }
  if (plain === "exact") return { source, exec: (v) => (v === source ? [v] : null) };
  return { source, exec: (v) => (v.includes(source) ? [source] : null) };
}
