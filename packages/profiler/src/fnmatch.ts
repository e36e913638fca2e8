/**
 * Shell-style wildcards as Python's `fnmatch.fnmatchcase` reads them, compiled to a RegExp:
 * `*` (any run of characters, `/` included), `?` (one character), `[seq]` and `[!seq]` (one
 * character in / not in the set, with `a-z` ranges). A `[` without a closing `]` is a literal
 * `[`; a reversed range (`z-a`) matches nothing, as in CPython 3.11+. Matching is
 * case-sensitive, as CPython's on POSIX (`os.path.normcase` does nothing there).
 */

/** Compiles a glob `pattern` to an anchored RegExp matching whole names. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  const n = pattern.length;
  let i = 0;
  while (i < n) {
    const c = pattern[i++]!;
    if (c === '*') {
      // Collapse runs of `*`: one `.*` does the same, without backtracking blow-up.
      while (pattern[i] === '*') i++;
      source += '.*';
    } else if (c === '?') {
      source += '.';
    } else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) {
        source += '\\[';
      } else {
        source += characterSet(pattern.slice(i, j));
        i = j + 1;
      }
    } else {
      source += escapeRegExp(c);
    }
  }
  return new RegExp(`^(?:${source})$`, 's');
}

/** `[...]` content (between the brackets) as a RegExp class. */
function characterSet(content: string): string {
  const negate = content.startsWith('!');
  const body = negate ? content.slice(1) : content;
  const items: string[] = [];
  for (let k = 0; k < body.length; ) {
    const first = body[k]!;
    if (body[k + 1] === '-' && k + 2 < body.length) {
      const last = body[k + 2]!;
      if (first <= last) items.push(`${escapeInSet(first)}-${escapeInSet(last)}`);
      k += 3;
    } else {
      items.push(escapeInSet(first));
      k += 1;
    }
  }
  if (items.length === 0) return negate ? '.' : '(?!)';
  return `[${negate ? '^' : ''}${items.join('')}]`;
}

function escapeInSet(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** True when `name` matches the glob `pattern` (Python's `fnmatch.fnmatchcase`). */
export function fnmatch(name: string, pattern: string): boolean {
  return globToRegExp(pattern).test(name);
}
