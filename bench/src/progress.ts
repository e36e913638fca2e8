/**
 * The progress line shown while suites run. On an interactive terminal it is one line that
 * rewrites itself; when the stream is not a TTY or CI is set, each update is a plain line, so
 * logs stay readable. Progress is only reported between timed calls, never inside them.
 */

export interface ProgressEvent {
  readonly suite: string;
  /** 1-based position of the suite in this run, and how many suites run. */
  readonly suiteIndex: number;
  readonly suiteCount: number;
  readonly phase: 'setup' | 'warm-up' | 'measure' | 'memory' | 'done';
  /** 1-based round within the phase, and how many (warm-up and measure). */
  readonly round?: number;
  readonly rounds?: number;
  /** 1-based fork (child process) and how many, when the suite runs in forks (see `forks.ts`). */
  readonly fork?: number;
  readonly forks?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Progress {
  readonly update: ProgressListener;
  /** Clears the live line, if any, before other output. */
  done(): void;
}

/** True when the progress line may rewrite itself: a TTY, and not under CI. */
export function isLiveTerminal(stream: ProgressStream, env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false';
  return stream.isTTY === true && !ci;
}

export function formatProgress(event: ProgressEvent): string {
  const fork =
    event.fork !== undefined && event.forks !== undefined ? ` fork ${event.fork}/${event.forks}` : '';
  const where = `[${event.suiteIndex}/${event.suiteCount}] ${event.suite}${fork}`;
  const round =
    event.round !== undefined && event.rounds !== undefined ? ` ${event.round}/${event.rounds}` : '';
  return `${where}: ${event.phase}${round}`;
}

export function createProgress(stream: ProgressStream, live: boolean): Progress {
  let shown = false;
  return {
    update(event) {
      const text = formatProgress(event);
      if (live) {
        const width = Math.max(20, (stream.columns || 80) - 1);
        stream.write(`\r\x1b[2K${text.length > width ? text.slice(0, width) : text}`);
        shown = true;
      } else {
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (live && shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
