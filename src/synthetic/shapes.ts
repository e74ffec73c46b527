/**
 * The shape classes of the synthetic detection set, as geometry: a signed distance (negative inside, in pixels)
 * for anti-aliased rendering, and the exact axis-aligned box of the outline. Pure functions, no randomness.
 *
 * Class index i (0-based, what YOLO labels and the trained model use) has COCO category id i + 1.
 */

export const SHAPE_CLASSES = Object.freeze(['circle', 'square', 'triangle', 'cross', 'ring'] as const);
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** One placed shape: centre (px), size (the circumscribed radius, px) and rotation (radians). */
export interface ShapeSpec {
  cls: ShapeClass;
  cx: number;
  cy: number;
  radius: number;
  angle: number;
}

/** Axis-aligned box in pixels, corner form. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Ring: inner radius as a share of the outer. Cross: arm half-width as a share of the radius. */
const RING_INNER = 0.55;
const CROSS_ARM = 0.34;

/** Vertices (unrotated, centred at the origin, unit radius) of the polygonal classes. */
function unitPolygon(cls: ShapeClass): Array<[number, number]> | undefined {
  switch (cls) {
    case 'square': {
      const h = Math.SQRT1_2;
      return [
        [-h, -h],
        [h, -h],
        [h, h],
        [-h, h],
      ];
    }
    case 'triangle':
      return [0, 1, 2].map((k) => {
        const a = -Math.PI / 2 + (2 * Math.PI * k) / 3;
        return [Math.cos(a), Math.sin(a)] as [number, number];
      });
    case 'cross': {
      // The plus sign's 12 outline points: arms of half-width w reaching out to radius 1 along the axes.
      const w = CROSS_ARM;
      const l = Math.sqrt(1 - w * w);
      return [
        [-w, -l],
        [w, -l],
        [w, -w],
        [l, -w],
        [l, w],
        [w, w],
        [w, l],
        [-w, l],
        [-w, w],
        [-l, w],
        [-l, -w],
        [-w, -w],
      ];
    }
    default:
      return undefined;
  }
}

function rotate(s: ShapeSpec, x: number, y: number): [number, number] {
  const c = Math.cos(s.angle);
  const n = Math.sin(s.angle);
  return [s.cx + s.radius * (x * c - y * n), s.cy + s.radius * (x * n + y * c)];
}

/** The exact bounding box of the shape's outline. */
export function shapeBox(s: ShapeSpec): Box {
  const poly = unitPolygon(s.cls);
  if (!poly) return { x1: s.cx - s.radius, y1: s.cy - s.radius, x2: s.cx + s.radius, y2: s.cy + s.radius };
  const pts = poly.map(([x, y]) => rotate(s, x, y));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) };
}

/** Signed distance of an axis-aligned box of half sizes (hx, hy) centred at the origin. */
function boxDistance(x: number, y: number, hx: number, hy: number): number {
  const dx = Math.abs(x) - hx;
  const dy = Math.abs(y) - hy;
  return Math.hypot(Math.max(dx, 0), Math.max(dy, 0)) + Math.min(Math.max(dx, dy), 0);
}

/**
 * Signed distance in pixels from (px, py) to the outline (negative inside). Exact for circle, ring, square and
 * cross; for the triangle the largest edge-line distance (exact inside and along edges, slightly short near the
 * corners outside), which is all anti-aliasing needs.
 */
export function signedDistance(s: ShapeSpec, px: number, py: number): number {
  const dx = px - s.cx;
  const dy = py - s.cy;
  const r = s.radius;
  const c = Math.cos(s.angle);
  const n = Math.sin(s.angle);
  // Into the shape's own frame, in units of pixels.
  const x = dx * c + dy * n;
  const y = -dx * n + dy * c;
  switch (s.cls) {
    case 'circle':
      return Math.hypot(x, y) - r;
    case 'ring': {
      const d = Math.hypot(x, y);
      return Math.max(d - r, RING_INNER * r - d);
    }
    case 'square':
      return boxDistance(x, y, r * Math.SQRT1_2, r * Math.SQRT1_2);
    case 'cross': {
      const w = CROSS_ARM * r;
      const l = Math.sqrt(1 - CROSS_ARM * CROSS_ARM) * r;
      return Math.min(boxDistance(x, y, w, l), boxDistance(x, y, l, w));
    }
    case 'triangle': {
      // The edge opposite vertex k (at angle -π/2 + 2πk/3) has its outward normal at π/2 + 2πk/3; an equilateral
      // triangle's inradius is half its circumradius.
      let d = -Infinity;
      for (let k = 0; k < 3; k++) {
        const a = Math.PI / 2 + (2 * Math.PI * k) / 3;
        d = Math.max(d, x * Math.cos(a) + y * Math.sin(a) - r / 2);
      }
      return d;
    }
  }
}

/** Intersection over union of two boxes (0 when either is empty). */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}
