/**
 * The HTML flame graph opened in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core): it renders one box per frame with the frame's name and a width in proportion
 * to its bytes, zooms on click, and asks for nothing over the network. Fails (never skips) when
 * /usr/bin/chromium is missing: `pnpm test` installs it first (scripts/ensure-chromium.mjs).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flameGraphDiffHtml, flameGraphHtml } from './flamegraph.js';
import { createSnapshots } from './test-support/cpython-snapshots.js';

const CHROMIUM = process.env.HEAPKIT_CHROMIUM ?? '/usr/bin/chromium';
const MISSING =
  `${CHROMIUM} not found: the flame-graph test needs Debian's chromium ` +
  '(sudo apt-get install -y chromium; .ci/run installs it), or HEAPKIT_CHROMIUM=/path/to/chromium';
let browser: BrowserContext | undefined;
let profileDir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return; // the first test fails with MISSING; the others cannot run
  profileDir = mkdtempSync(join(tmpdir(), 'heapkit-chromium-'));
  // A fresh profile directory (Playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1000, height: 600 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

interface Box {
  name: string;
  width: number;
  left: number;
  top: number;
  title: string;
  background: string;
}

async function render(html: string) {
  if (browser === undefined) throw new Error(MISSING);
  const page = await browser.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.setContent(html, { waitUntil: 'load' });
  const boxes = (): Promise<Box[]> =>
    page.$$eval('#chart .frame', (els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return {
          name: el.textContent ?? '',
          width: r.width,
          left: r.left,
          top: r.top,
          title: el.getAttribute('title') ?? '',
          background: getComputedStyle(el).backgroundColor,
        };
      }),
    );
  return { page, boxes, requests, errors };
}

describe('flame graph in headless Chromium', () => {
  it('has Chromium to run in', () => {
    expect(existsSync(CHROMIUM), MISSING).toBe(true);
  });

  it('renders every frame with its name, widths in proportion to bytes, and zooms on click', async () => {
    const [snapshot] = createSnapshots();
    const { page, boxes, requests, errors } = await render(flameGraphHtml(snapshot));
    const all = await boxes();
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('about:') && !u.startsWith('data:'))).toEqual([]);
    expect(all.map((b) => b.name).sort()).toEqual(
      ['<unknown>:0', 'a.py:2', 'a.py:5', 'all', 'b.py:1', 'b.py:4'].sort(),
    );
    const by = (name: string) => all.find((b) => b.name === name)!;
    const root = by('all');
    expect(root.width).toBeGreaterThan(900);
    // widths in proportion to bytes: b.py:1 holds 66 of 105 bytes, a.py:2 30 of 105
    expect(by('b.py:1').width / root.width).toBeCloseTo(66 / 105, 2);
    expect(by('a.py:2').width / root.width).toBeCloseTo(30 / 105, 2);
    // a.py:2 (called from b.py:4) is drawn below b.py:4, inside its span
    expect(by('a.py:2').top).toBeGreaterThan(by('b.py:4').top);
    expect(by('a.py:2').left).toBeGreaterThanOrEqual(by('b.py:4').left - 0.5);
    expect(by('b.py:1').title).toBe('b.py:1: 66 B, 62.9%');
    // click b.py:4: it now spans the whole width, and only its subtree is drawn
    await page.click('#chart .frame:text-is("b.py:4")');
    const zoomed = await boxes();
    expect(zoomed.map((b) => b.name).sort()).toEqual(['a.py:2', 'a.py:5', 'b.py:4']);
    expect(zoomed.find((b) => b.name === 'b.py:4')!.width).toBeCloseTo(root.width, 0);
    await page.click('#chart .frame:text-is("b.py:4")');
    expect((await boxes()).length).toBe(6);
    await page.close();
  });

  it('colours a diff: red where memory grew, blue where it shrank', async () => {
    const [snapshot, snapshot2] = createSnapshots();
    const { page, boxes, errors } = await render(flameGraphDiffHtml(snapshot2, snapshot));
    const all = await boxes();
    expect(errors).toEqual([]);
    const by = (name: string) => all.find((b) => b.name === name)!;
    const rgb = (css: string) => css.match(/\d+/g)!.map(Number);
    const [gr, , gb] = rgb(by('a.py:5').background); // grew by 5000 B
    expect(gr).toBeGreaterThan(gb!);
    const [sr, , sb] = rgb(by('b.py:1').background); // freed: 66 B gone
    expect(sb).toBeGreaterThan(sr!);
    expect(by('c.py:578').title).toContain('(+400 B)');
    await page.close();
  });
});
