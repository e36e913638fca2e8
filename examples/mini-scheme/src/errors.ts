/**
 * {@link SchemeError}: an error of the Scheme program (unbound variable, wrong type, bad syntax,
 * out of memory...), carrying the Scheme source file and line where it happened.
 */

/** What went wrong, for callers that want to tell errors apart. */
export type SchemeErrorKind =
  | 'unbound-variable'
  | 'wrong-type'
  | 'bad-syntax'
  | 'read-error'
  | 'arity'
  | 'range'
  | 'out-of-memory'
  | 'recursion-depth'
  | 'user';

/** An error raised by a Scheme program; `message` reads `file:line: what happened`. */
export class SchemeError extends Error {
  override readonly name = 'SchemeError';
  /** The Scheme source file (as given to the interpreter), or '' when unknown. */
  file: string;
  /** The Scheme source line (1-based), or 0 when unknown. */
  line: number;
  readonly kind: SchemeErrorKind;
  /** The message without the location. */
  readonly detail: string;

  constructor(kind: SchemeErrorKind, detail: string, file = '', line = 0) {
    super(file === '' ? detail : `${file}:${line}: ${detail}`);
    this.kind = kind;
    this.detail = detail;
    this.file = file;
    this.line = line;
  }

  /** Gives the error a location if it has none yet. */
  locate(file: string, line: number): this {
    if (this.file === '') {
      this.file = file;
      this.line = line;
      this.message = `${file}:${line}: ${this.detail}`;
    }
    return this;
  }
}
