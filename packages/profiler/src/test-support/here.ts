/** The file and line of the caller of `here()`, from V8's stack. */
export function here(): { file: string; line: number } {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, sites) => sites;
  const holder: { stack?: unknown } = {};
  Error.captureStackTrace(holder, here);
  const site = (holder.stack as NodeJS.CallSite[])[0]!;
  Error.prepareStackTrace = saved;
  return { file: site.getFileName()!, line: site.getLineNumber()! };
}
