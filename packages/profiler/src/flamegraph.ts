/**
 * Self-contained HTML flame graphs (icicle layout: callers on top, the allocating frame at the
 * bottom of each stack) of a snapshot, or of the difference between two. One file, no network:
 * the data is embedded as JSON, the layout and the click-to-zoom are an inline script, the look
 * is inline CSS. A frame's width is the bytes allocated under it; in a diff, the larger of the
 * old and new bytes, coloured red where memory grew and blue where it shrank.
 */
import { formatSize } from './format-size.js';
import { type Frame, frameLabel } from './frame.js';
import type { Snapshot } from './snapshot.js';

/** A node of the flame graph: a frame on a path from the root. */
export interface FlameNode {
  /**
   * The frame: `function file:line` (`file:line` when the function is not known), or `all` for
   * the root. Shown when hovering.
   */
  readonly name: string;
  /** What the box says: {@link name} with the file's path shortened to its last part. */
  readonly label: string;
  /** Width: bytes under this node (in a diff, Σ max(old, new) over its tracebacks). */
  value: number;
  /** In a diff, new bytes minus old bytes under this node; otherwise 0. */
  diff: number;
  readonly children: FlameNode[];
}

/** Options of the flame graph functions. */
export interface FlameGraphOptions {
  /** The page's title. Default "heapkit memory flame graph" (or "... diff"). */
  readonly title?: string;
}

function child(node: FlameNode, frame: Frame): FlameNode {
  const name = frameLabel(frame);
  let c = node.children.find((x) => x.name === name);
  if (c === undefined) {
    c = { name, label: frameLabel(frame, { short: true }), value: 0, diff: 0, children: [] };
    node.children.push(c);
  }
  return c;
}

function add(root: FlameNode, frames: readonly Frame[], value: number, diff: number): void {
  let node = root;
  node.value += value;
  node.diff += diff;
  for (const frame of frames) {
    node = child(node, frame);
    node.value += value;
    node.diff += diff;
  }
}

function sortTree(node: FlameNode): FlameNode {
  node.children.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1));
  node.children.forEach(sortTree);
  return node;
}

/** The tree of a snapshot: one path per traceback, oldest frame first. */
export function flameTree(snapshot: Snapshot): FlameNode {
  const root: FlameNode = { name: 'all', label: 'all', value: 0, diff: 0, children: [] };
  for (const stat of snapshot.statistics('traceback')) add(root, stat.traceback.frames, stat.size, 0);
  return sortTree(root);
}

/** The tree of the change from `old` to `snapshot`. */
export function flameDiffTree(snapshot: Snapshot, old: Snapshot): FlameNode {
  const root: FlameNode = { name: 'all', label: 'all', value: 0, diff: 0, children: [] };
  for (const d of snapshot.compareTo(old, 'traceback')) {
    add(root, d.traceback.frames, Math.max(d.size, d.size - d.sizeDiff), d.sizeDiff);
  }
  return sortTree(root);
}

/** A flame graph of a snapshot, as one self-contained HTML page. */
export function flameGraphHtml(snapshot: Snapshot, options: FlameGraphOptions = {}): string {
  const tree = flameTree(snapshot);
  const title = options.title ?? 'heapkit memory flame graph';
  const subtitle = `${snapshot.traces.length} traces, ${formatSize(tree.value)}${
    snapshot.samplingInterval === 0 ? '' : ' (estimated from a sample)'
  }`;
  return page(title, subtitle, tree, false);
}

/** A flame graph of the change from `old` to `snapshot`, as one self-contained HTML page. */
export function flameGraphDiffHtml(
  snapshot: Snapshot,
  old: Snapshot,
  options: FlameGraphOptions = {},
): string {
  const tree = flameDiffTree(snapshot, old);
  const title = options.title ?? 'heapkit memory flame graph diff';
  const subtitle = `change ${formatSize(tree.diff, true)}; red grew, blue shrank; width = max(old, new)`;
  return page(title, subtitle, tree, true);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function page(title: string, subtitle: string, tree: FlameNode, diff: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body { font: 12px/1.3 system-ui, sans-serif; margin: 12px; color: #222; }
h1 { font-size: 16px; margin: 0 0 4px; }
#info { color: #555; margin-bottom: 8px; min-height: 1.3em; }
#chart { position: relative; width: 100%; }
.frame { position: absolute; height: 17px; box-sizing: border-box; border: 1px solid #fff;
  overflow: hidden; white-space: nowrap; text-overflow: ellipsis; padding: 0 3px; cursor: pointer; }
.frame:hover { border-color: #000; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div id="subtitle">${escapeHtml(subtitle)}</div>
<div id="info">Hover a frame for its size; click to zoom in; click the top frame to zoom out.</div>
<div id="chart"></div>
<script type="application/json" id="flame-data">${scriptJson({ tree, diff })}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('flame-data').textContent);
  var chart = document.getElementById('chart');
  var info = document.getElementById('info');
  var ROW = 18;
  function size(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var a = Math.abs(n), i = 0;
    while (a >= 10240 && i < units.length - 1) { a /= 1024; n /= 1024; i++; }
    return (i === 0 ? Math.round(n) : n.toFixed(1)) + ' ' + units[i];
  }
  function color(node) {
    if (!data.diff) {
      var h = 0;
      for (var i = 0; i < node.name.length; i++) h = (h * 31 + node.name.charCodeAt(i)) >>> 0;
      return 'hsl(' + (20 + h % 40) + ', 85%, ' + (60 + h % 15) + '%)';
    }
    if (node.value === 0 || node.diff === 0) return 'hsl(0, 0%, 85%)';
    var t = Math.min(1, Math.abs(node.diff) / node.value);
    return node.diff > 0 ? 'hsl(0, 80%, ' + (90 - 35 * t) + '%)' : 'hsl(220, 80%, ' + (90 - 35 * t) + '%)';
  }
  function depth(node) {
    var d = 0;
    for (var i = 0; i < node.children.length; i++) d = Math.max(d, depth(node.children[i]));
    return d + 1;
  }
  function render(root) {
    chart.textContent = '';
    chart.style.height = depth(root) * ROW + 'px';
    var total = root.value || 1;
    (function draw(node, x, level) {
      var w = node.value / total;
      if (w <= 0) return;
      var div = document.createElement('div');
      div.className = 'frame';
      div.textContent = node.label;
      div.title = node.name + ': ' + size(node.value) + (data.diff ? ' (' + (node.diff >= 0 ? '+' : '-') + size(Math.abs(node.diff)) + ')' : '') +
        ', ' + (100 * node.value / (data.tree.value || 1)).toFixed(1) + '%';
      div.style.left = 100 * x + '%';
      div.style.width = 100 * w + '%';
      div.style.top = level * ROW + 'px';
      div.style.background = color(node);
      div.onmouseover = function () { info.textContent = div.title; };
      div.onclick = function () { render(node === root ? data.tree : node); };
      chart.appendChild(div);
      var cx = x;
      for (var i = 0; i < node.children.length; i++) {
        draw(node.children[i], cx, level + 1);
        cx += node.children[i].value / total;
      }
    })(root, 0, 0);
  }
  render(data.tree);
})();
</script>
</body>
</html>
`;
}
