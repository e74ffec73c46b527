/**
 * Label placement for the report's scatter charts, computed when the page is built (there is no script in the
 * page): each label goes to the first candidate spot around its point — right, left, above, below, then the
 * diagonals, at growing distances — that overlaps no other label, no marker and stays inside the plot. A label
 * that had to move away from its point gets a leader line back to it. Text width is estimated (no font metrics
 * without a browser): `charWidth` px per character, generous for the 11 px semi-bold sans-serif the report uses; a label left of its marker is right-aligned to it, so
 * a short estimate never runs into the marker.
 */

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Anchor {
  /** Marker centre and radius, in SVG px. */
  x: number;
  y: number;
  r: number;
  text: string;
}

export interface PlacedLabel {
  /** Text position and its text-anchor: labels left of their marker end at it, those above or below are centred. */
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  box: Box;
  /** Where a leader line runs from the marker's edge to the label, when the label sits away from its marker. */
  leader?: { x1: number; y1: number; x2: number; y2: number };
}

export interface PlacementOptions {
  bounds: Box;
  /** Other text the labels must keep clear of (a reference line's label, say). */
  avoid?: readonly Box[];
  charWidth?: number;
  lineHeight?: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function inside(a: Box, b: Box): boolean {
  return a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height;
}

/** Overlap area of two boxes (0 when apart). */
function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Unit directions in order of preference: right, left, up, down, then the diagonals. */
const DIRECTIONS: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [-1, 0],
  [0, -1],
  [0, 1],
  [1, -1],
  [1, 1],
  [-1, -1],
  [-1, 1],
];

/** The label box whose nearest side is `gap` px from the marker edge in direction (dx, dy). */
function candidate(a: Anchor, w: number, h: number, dx: number, dy: number, gap: number): Box {
  const reach = a.r + gap;
  const cx = a.x + dx * reach + (dx > 0 ? w / 2 : dx < 0 ? -w / 2 : 0);
  const cy = a.y + dy * reach + (dy > 0 ? h / 2 : dy < 0 ? -h / 2 : 0);
  return { x: cx - w / 2, y: cy - h / 2, width: w, height: h };
}

/** The nearest point of `b` to (x, y). */
function nearest(b: Box, x: number, y: number): [number, number] {
  return [Math.min(Math.max(x, b.x), b.x + b.width), Math.min(Math.max(y, b.y), b.y + b.height)];
}

/** Place one label per anchor (same order), greedily in the order given. */
export function placeLabels(anchors: readonly Anchor[], o: PlacementOptions): PlacedLabel[] {
  const cw = o.charWidth ?? 7;
  const lh = o.lineHeight ?? 13;
  const markers: Box[] = anchors.map((a) => ({ x: a.x - a.r - 1, y: a.y - a.r - 1, width: 2 * a.r + 2, height: 2 * a.r + 2 }));
  const taken: Box[] = [...(o.avoid ?? [])];
  const out: PlacedLabel[] = [];
  for (const [i, a] of anchors.entries()) {
    const w = a.text.length * cw + 4;
    const h = lh;
    const others = markers.filter((_, k) => k !== i);
    let best: { box: Box; cost: number; dx: number } | undefined;
    search: for (const gap of [3, 12, 24, 40, 60, 84]) {
      for (const [dx, dy] of DIRECTIONS) {
        const box = candidate(a, w, h, dx, dy, gap);
        if (!inside(box, o.bounds)) continue;
        const cost = [...taken, ...others].reduce((s, b) => s + overlapArea(box, b), 0);
        if (cost === 0) {
          best = { box, cost, dx };
          break search;
        }
        if (!best || cost < best.cost) best = { box, cost, dx };
      }
    }
    const box = best?.box ?? candidate(a, w, h, 1, 0, 3);
    const dx = best?.dx ?? 1;
    taken.push(box);
    const [nx, ny] = nearest(box, a.x, a.y);
    const dist = Math.hypot(nx - a.x, ny - a.y);
    const anchor = dx > 0 ? 'start' : dx < 0 ? 'end' : 'middle';
    const x = anchor === 'start' ? box.x + 2 : anchor === 'end' ? box.x + box.width - 2 : box.x + box.width / 2;
    const label: PlacedLabel = { x, y: box.y + h - 3, anchor, box };
    if (dist > a.r + 8) {
      const k = a.r / dist;
      label.leader = { x1: a.x + (nx - a.x) * k, y1: a.y + (ny - a.y) * k, x2: nx, y2: ny };
    }
    out.push(label);
  }
  return out;
}

/** Whether any two placed labels overlap (for tests). */
export function anyOverlap(labels: readonly PlacedLabel[]): boolean {
  return labels.some((a, i) => labels.some((b, k) => k > i && overlaps(a.box, b.box)));
}
