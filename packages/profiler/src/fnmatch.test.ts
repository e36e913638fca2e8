import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnmatch, globToRegExp } from './fnmatch.js';

/**
 * A naive glob matcher written from the rules (recursion over pattern and name, no RegExp): the
 * model the compiled RegExp is checked against.
 */
function model(name: string, pattern: string): boolean {
  if (pattern === '') return name === '';
  const c = pattern[0]!;
  if (c === '*') {
    for (let k = 0; k <= name.length; k++) if (model(name.slice(k), pattern.slice(1))) return true;
    return false;
  }
  if (name === '') return false;
  if (c === '?') return model(name.slice(1), pattern.slice(1));
  if (c === '[') {
    let j = 1;
    if (pattern[j] === '!') j++;
    if (pattern[j] === ']') j++;
    while (j < pattern.length && pattern[j] !== ']') j++;
    if (j < pattern.length) {
      let body = pattern.slice(1, j);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      let hit = false;
      for (let k = 0; k < body.length; ) {
        if (body[k + 1] === '-' && k + 2 < body.length) {
          if (body[k]! <= name[0]! && name[0]! <= body[k + 2]!) hit = true;
          k += 3;
        } else {
          if (body[k] === name[0]) hit = true;
          k += 1;
        }
      }
      return hit !== negate && model(name.slice(1), pattern.slice(j + 1));
    }
    // No closing bracket: a literal '['.
  }
  return name[0] === c && model(name.slice(1), pattern.slice(1));
}

describe('fnmatch', () => {
  it('matches what the rule-by-rule model matches (property)', () => {
    const nameChar = fc.constantFrom('a', 'b', 'c', '-', '/', '.', '[', ']', '!', '\\', '^');
    const patternChar = fc.constantFrom(
      'a',
      'b',
      'c',
      '-',
      '/',
      '.',
      '*',
      '?',
      '[',
      ']',
      '!',
      '\\',
      '^',
      '$',
    );
    fc.assert(
      fc.property(
        fc.string({ unit: nameChar, maxLength: 8 }),
        fc.string({ unit: patternChar, maxLength: 8 }),
        (name, pattern) => {
          expect(fnmatch(name, pattern), `fnmatch(${JSON.stringify(name)}, ${JSON.stringify(pattern)})`).toBe(
            model(name, pattern),
          );
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('handles sets, ranges and the corner cases of fnmatch.translate', () => {
    expect(fnmatch('b', '[abc]')).toBe(true);
    expect(fnmatch('d', '[abc]')).toBe(false);
    expect(fnmatch('d', '[!abc]')).toBe(true);
    expect(fnmatch('m', '[a-z]')).toBe(true);
    expect(fnmatch('M', '[a-z]')).toBe(false);
    expect(fnmatch(']', '[]]')).toBe(true); // ] first in a set is a literal
    expect(fnmatch('a', '[!]]')).toBe(true);
    expect(fnmatch('[', '[')).toBe(true); // unclosed [ is a literal
    expect(fnmatch('[ab', '[ab')).toBe(true);
    expect(fnmatch('q', '[z-a]')).toBe(false); // reversed range: nothing (CPython 3.11+)
    expect(fnmatch('q', '[!z-a]')).toBe(true);
    expect(fnmatch('a\nb', 'a*b')).toBe(true); // * matches newlines too
    expect(fnmatch('x.js', '*.js')).toBe(true);
    expect(fnmatch('src/lib/x.js', 'src/*.js')).toBe(true); // * crosses '/' as in fnmatch
    expect(fnmatch('a+b(c)', 'a+b(c)')).toBe(true); // RegExp specials are literal
    expect(globToRegExp('a**b').source).toBe('^(?:a.*b)$');
  });
});
