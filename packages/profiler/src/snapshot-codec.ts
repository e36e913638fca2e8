/**
 * The snapshot dump format: versioned, little-endian, checksummed, with every name, frame and
 * traceback stored once.
 *
 * ```
 *   offset  size  field
 *        0     8  magic: 89 'H' 'K' 'S' 'N' 'A' 'P' 0A  (the PNG trick: binary, and any
 *                 newline or 8-bit mangling in transit shows)
 *        8     4  format version (FORMAT_VERSION)
 *       12     4  total byte length of the file, checksum included
 *       16     4  traceback limit (nframe)
 *       20     8  sampling interval in bytes, f64 (0: exact)
 *       28        names:      u32 count, then per name u32 UTF-8 length + bytes (the file
 *                             and function names)
 *                 frames:     u32 count, then per frame u32 file name index, u32 line,
 *                             u32 function name index + 1 (0: not known)
 *                 tracebacks: u32 count, then per traceback u32 total_nframe + 1 (0: unknown),
 *                             u32 frame count, u32 frame index per frame (oldest first)
 *                 traces:     u32 count, then per trace u32 domain, f64 size, f64 weight,
 *                             u32 traceback index
 *    end-4     4  CRC-32 of every byte before it
 * ```
 *
 * Version 1 (before function names) is the same without the function field of a frame; it is
 * still read, its frames without function names.
 *
 * Reading checks, in order: the header is there, the magic, the version, the length, the
 * checksum, then every count and index; the first failure throws a {@link SnapshotFormatError}
 * naming the source and what is wrong.
 */
import { crc32 } from './crc32.js';
import { SnapshotFormatError } from './errors.js';
import { Frame, Traceback } from './frame.js';
import { Trace } from './trace.js';

/** The format version this build writes (it also reads version 1). */
export const FORMAT_VERSION = 2;
/** The oldest format version this build reads. */
const OLDEST_VERSION = 1;
/** The first 8 bytes of every dump. */
export const MAGIC = Uint8Array.of(0x89, 0x48, 0x4b, 0x53, 0x4e, 0x41, 0x50, 0x0a);
const HEADER_BYTES = 28;
/** Words per frame: file, line, function (version 2). */
const FRAME_FIELDS = 3;
const CHECKSUM_BYTES = 4;

/** What a dump holds. */
export interface SnapshotData {
  readonly traces: readonly Trace[];
  readonly tracebackLimit: number;
  readonly samplingInterval: number;
}

/** Encodes a snapshot's data in the dump format. */
export function encodeSnapshot(snapshot: SnapshotData): Uint8Array {
  const encoder = new TextEncoder();
  const files = new Map<string, number>();
  const fileBytes: Uint8Array[] = [];
  const frames = new Map<string, number>();
  const frameFields: number[] = [];
  const tracebacks = new Map<Traceback, number>();
  const tracebackByKey = new Map<string, number>();
  const tracebackFields: number[][] = [];
  const fileIndex = (name: string): number => {
    let i = files.get(name);
    if (i === undefined) {
      i = fileBytes.length;
      files.set(name, i);
      fileBytes.push(encoder.encode(name));
    }
    return i;
  };
  const frameIndex = (frame: Frame): number => {
    const file = fileIndex(frame.filename);
    const func = frame.functionName === undefined ? 0 : fileIndex(frame.functionName) + 1;
    const key = `${file}:${frame.lineno}:${func}`;
    let i = frames.get(key);
    if (i === undefined) {
      i = frameFields.length / FRAME_FIELDS;
      frames.set(key, i);
      frameFields.push(file, frame.lineno, func);
    }
    return i;
  };
  const tracebackIndex = (traceback: Traceback): number => {
    let i = tracebacks.get(traceback);
    if (i !== undefined) return i;
    const key = `${traceback.totalNframe ?? ''}|${traceback.key}`;
    i = tracebackByKey.get(key);
    if (i === undefined) {
      i = tracebackFields.length;
      tracebackByKey.set(key, i);
      tracebackFields.push([
        (traceback.totalNframe ?? -1) + 1,
        traceback.frames.length,
        ...traceback.frames.map(frameIndex),
      ]);
    }
    tracebacks.set(traceback, i);
    return i;
  };
  const traceTracebacks = snapshot.traces.map((t) => tracebackIndex(t.traceback));

  let length = HEADER_BYTES + 4 + 4 + 4 + 4 + CHECKSUM_BYTES;
  for (const b of fileBytes) length += 4 + b.length;
  length += frameFields.length * 4;
  for (const t of tracebackFields) length += t.length * 4;
  length += snapshot.traces.length * 24;

  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  let at = 0;
  const u32 = (value: number): void => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const f64 = (value: number): void => {
    view.setFloat64(at, value, true);
    at += 8;
  };
  bytes.set(MAGIC, 0);
  at = MAGIC.length;
  u32(FORMAT_VERSION);
  u32(length);
  u32(snapshot.tracebackLimit);
  f64(snapshot.samplingInterval);
  u32(fileBytes.length);
  for (const b of fileBytes) {
    u32(b.length);
    bytes.set(b, at);
    at += b.length;
  }
  u32(frameFields.length / FRAME_FIELDS);
  for (const v of frameFields) u32(v);
  u32(tracebackFields.length);
  for (const fields of tracebackFields) for (const v of fields) u32(v);
  u32(snapshot.traces.length);
  snapshot.traces.forEach((trace, i) => {
    u32(trace.domain);
    f64(trace.size);
    f64(trace.weight);
    u32(traceTracebacks[i]!);
  });
  u32(crc32(bytes, 0, at));
  return bytes;
}

/** Decodes a dump; throws {@link SnapshotFormatError} naming `source` on any defect. */
export function decodeSnapshot(bytes: Uint8Array, source: string): SnapshotData {
  const fail = (reason: string): never => {
    throw new SnapshotFormatError(source, reason);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array of the dumped bytes');
  if (bytes.length < MAGIC.length || !MAGIC.every((b, i) => bytes[i] === b)) {
    const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(
      bytes.length === 0
        ? 'the file is empty'
        : `wrong magic: it starts with ${head}, a heapkit snapshot starts with 89 48 4b 53 4e 41 50 0a (\\x89HKSNAP\\n)`,
    );
  }
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) {
    fail(`truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES + CHECKSUM_BYTES}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version < OLDEST_VERSION || version > FORMAT_VERSION) {
    fail(
      `format version ${version}; this @heapkit/profiler reads versions ${OLDEST_VERSION} to ${FORMAT_VERSION}`,
    );
  }
  const declared = view.getUint32(12, true);
  if (bytes.length < declared) fail(`truncated: ${bytes.length} of ${declared} bytes`);
  if (bytes.length > declared)
    fail(`corrupted: ${bytes.length - declared} bytes after the end of the snapshot`);
  const end = declared - CHECKSUM_BYTES;
  const stored = view.getUint32(end, true);
  const actual = crc32(bytes, 0, end);
  if (stored !== actual) {
    fail(`corrupted: checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);
  }

  let at = 16;
  const need = (n: number, what: string): void => {
    if (at + n > end) fail(`corrupted: ${what} runs past the end of the data at byte ${at}`);
  };
  const u32 = (what: string): number => {
    need(4, what);
    const v = view.getUint32(at, true);
    at += 4;
    return v;
  };
  const f64 = (what: string): number => {
    need(8, what);
    const v = view.getFloat64(at, true);
    at += 8;
    return v;
  };
  const tracebackLimit = u32('the traceback limit');
  const samplingInterval = f64('the sampling interval');
  if (tracebackLimit < 1 || tracebackLimit > 65535) fail(`corrupted: traceback limit ${tracebackLimit}`);
  if (!(samplingInterval >= 0)) fail(`corrupted: sampling interval ${samplingInterval}`);

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const fileCount = u32('the file count');
  const files: string[] = [];
  for (let i = 0; i < fileCount; i++) {
    const n = u32(`file name ${i}`);
    need(n, `file name ${i}`);
    try {
      files.push(decoder.decode(bytes.subarray(at, at + n)));
    } catch {
      fail(`corrupted: file name ${i} is not valid UTF-8`);
    }
    at += n;
  }
  const frameCount = u32('the frame count');
  const frames: Frame[] = [];
  for (let i = 0; i < frameCount; i++) {
    const file = u32(`frame ${i}`);
    const line = u32(`frame ${i}`);
    const func = version === 1 ? 0 : u32(`frame ${i}`);
    if (file >= files.length) fail(`corrupted: frame ${i} names file ${file} of ${files.length}`);
    if (func > files.length) fail(`corrupted: frame ${i} names function ${func - 1} of ${files.length}`);
    frames.push(new Frame(files[file]!, line, func === 0 ? undefined : files[func - 1]!));
  }
  const tracebackCount = u32('the traceback count');
  const tracebacks: Traceback[] = [];
  for (let i = 0; i < tracebackCount; i++) {
    const total = u32(`traceback ${i}`);
    const n = u32(`traceback ${i}`);
    need(n * 4, `traceback ${i}`);
    const list: Frame[] = [];
    for (let k = 0; k < n; k++) {
      const f = u32(`traceback ${i}`);
      if (f >= frames.length) fail(`corrupted: traceback ${i} names frame ${f} of ${frames.length}`);
      list.push(frames[f]!);
    }
    if (n === 0) fail(`corrupted: traceback ${i} has no frames`);
    tracebacks.push(new Traceback(list, total === 0 ? undefined : total - 1));
  }
  const traceCount = u32('the trace count');
  need(traceCount * 24, 'the traces');
  const traces: Trace[] = [];
  for (let i = 0; i < traceCount; i++) {
    const domain = u32(`trace ${i}`);
    const size = f64(`trace ${i}`);
    const weight = f64(`trace ${i}`);
    const tb = u32(`trace ${i}`);
    if (tb >= tracebacks.length) fail(`corrupted: trace ${i} names traceback ${tb} of ${tracebacks.length}`);
    if (!(size >= 0) || !(weight >= 1) || domain > 0xffff) {
      fail(`corrupted: trace ${i} has domain ${domain}, size ${size}, weight ${weight}`);
    }
    traces.push(new Trace(domain, size, tracebacks[tb]!, weight));
  }
  if (at !== end) fail(`corrupted: ${end - at} unread bytes before the checksum`);
  return { traces, tracebackLimit, samplingInterval };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
