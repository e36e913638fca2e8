/**
 * pprof export: a snapshot as a profile.proto `Profile` with two sample types, `inuse_objects`
 * (count) and `inuse_space` (bytes), one sample per distinct traceback (leaf frame first, as
 * pprof wants), one location per frame (file, line, function) and one function per (function
 * name, file), with the line in the location's `Line`; a frame whose function is not known
 * counts as a function named after its file. Encoded with
 * `pprof-format`; `go tool pprof`, speedscope and Pyroscope read it (gzip it for the file: the
 * CLI does).
 */
import {
  Line,
  Location,
  Function as PprofFunction,
  Profile,
  Sample,
  StringTable,
  ValueType,
} from 'pprof-format';
import type { Frame } from './frame.js';
import type { Snapshot } from './snapshot.js';

/** The profile of a snapshot, as an (uncompressed) protobuf message. */
export function toPprof(snapshot: Snapshot): Uint8Array {
  const strings = new StringTable();
  const functions = new Map<string, PprofFunction>();
  const locations = new Map<string, Location>();
  const functionOf = (frame: Frame): PprofFunction => {
    const key = `${frame.functionName ?? ''}\u0000${frame.filename}`;
    let f = functions.get(key);
    if (f === undefined) {
      const name = strings.dedup(frame.functionName ?? frame.filename);
      f = new PprofFunction({
        id: functions.size + 1,
        name,
        systemName: name,
        filename: strings.dedup(frame.filename),
      });
      functions.set(key, f);
    }
    return f;
  };
  const locationOf = (frame: Frame): Location => {
    const key = `${frame.lineno}\u0000${frame.filename}\u0000${frame.functionName ?? ''}`;
    let l = locations.get(key);
    if (l === undefined) {
      l = new Location({
        id: locations.size + 1,
        line: [new Line({ functionId: functionOf(frame).id, line: frame.lineno })],
      });
      locations.set(key, l);
    }
    return l;
  };
  const samples = snapshot.statistics('traceback').map(
    (stat) =>
      new Sample({
        locationId: [...stat.traceback.frames].reverse().map((f) => locationOf(f).id),
        value: [stat.count, stat.size],
      }),
  );
  const sampleType = [
    new ValueType({ type: strings.dedup('inuse_objects'), unit: strings.dedup('count') }),
    new ValueType({ type: strings.dedup('inuse_space'), unit: strings.dedup('bytes') }),
  ];
  const comment =
    snapshot.samplingInterval === 0
      ? 'heapkit snapshot: every block traced'
      : `heapkit snapshot: Poisson sample, mean interval ${snapshot.samplingInterval} bytes; values are unbiased estimates`;
  const profile = new Profile({
    sampleType,
    sample: samples,
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    periodType: new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') }),
    period: snapshot.samplingInterval === 0 ? 1 : Math.round(snapshot.samplingInterval),
    comment: [strings.dedup(comment)],
    defaultSampleType: strings.dedup('inuse_space'),
  });
  return profile.encode();
}
