// node case-run.mjs SUITE CASE CALLS [mode]: runs one case of a suite CALLS times (from bench/)
const [suiteName, caseName, calls, mode = 'full'] = process.argv.slice(2);
const mod = await import(`./dist/suites/${suiteName}.js`);
const suite = Object.values(mod).find(
  (v) => v && typeof v === 'object' && v.name === suiteName && 'createCases' in v,
);
const { cases, teardown } = await suite.createCases({ mode, seed: 1592594996, env: {} });
const c = cases.find((x) => x.name === caseName);
if (!c) throw new Error('no case ' + caseName + ' in ' + cases.map((x) => x.name));
for (let i = 0; i < +calls; i++) c.run();
teardown?.();
