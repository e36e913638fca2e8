import { ConfigurationError } from './errors.js';

/**
 * Argument checks shared by every heapkit constructor: each failure is a ConfigurationError
 * that names the option, shows what was passed and says what to pass instead.
 */

/** How a value reads in an error message: `'yes' (a string)`, `12n (a BigInt)`, `a Memory`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return `${JSON.stringify(value)} (a string)`;
    case 'bigint':
      return `${value}n (a BigInt)`;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      if (Array.isArray(value)) return 'an array';
      const name = (value as object).constructor?.name;
      return name === undefined || name === 'Object' ? 'an object' : `a ${name}`;
    }
  }
}

/**
 * Checks that `options` is a plain options object with no key outside `keys` (undefined is
 * fine: all defaults). `where` names the call, e.g. `new Memory(options)`.
 */
export function checkOptions(where: string, options: unknown, keys: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigurationError(
      `${where}: options must be an object with any of ${keys.join(', ')}; got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!keys.includes(key)) {
      throw new ConfigurationError(`${where}: unknown option '${key}'; the options are ${keys.join(', ')}`);
    }
  }
}

/** An optional boolean option. */
export function checkBoolean(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new ConfigurationError(`${where}: ${name} must be true or false, got ${describeValue(value)}`);
  }
}

/** An optional integer option from `min` to `max`. */
export function checkInteger(where: string, name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `${where}: ${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
}
