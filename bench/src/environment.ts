/** The machine and runtime a run was measured on, recorded with every result. */
import os from 'node:os';

export interface Environment {
  /** `process.version`, e.g. "v20.19.0". */
  readonly node: string;
  /** `process.versions.v8`. */
  readonly v8: string;
  readonly cpuModel: string;
  /** Logical cores the process may use. */
  readonly cores: number;
  readonly os: {
    readonly platform: string;
    readonly type: string;
    readonly release: string;
    readonly arch: string;
  };
  readonly totalMemoryBytes: number;
}

export function collectEnvironment(): Environment {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    cpuModel: cpus[0]?.model.trim() || 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    os: { platform: process.platform, type: os.type(), release: os.release(), arch: process.arch },
    totalMemoryBytes: os.totalmem(),
  };
}
