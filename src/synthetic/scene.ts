import { SHAPE_CLASSES, boxIou, shapeBox, signedDistance, type Box, type ShapeClass, type ShapeSpec } from './shapes.js';
import { hsv, paintBackground, TEXTURE_KINDS, type Rgb } from './texture.js';

/**
 * One synthetic image: a textured background, a few distractors (lines and long ellipses, which are none of the
 * classes), and 1–`maxObjects` shapes of the classes, each fully inside the image and not overlapping another
 * shape's box. Rendering is anti-aliased from signed distances; pixel noise is added last. A scene is a pure
 * function of its random source, so (seed, split, index) always gives the same pixels and boxes.
 */

export interface SceneOptions {
  /** Image width and height are drawn uniformly from these ranges (inclusive). */
  width: [number, number];
  height: [number, number];
  maxObjects: number;
  /** Circumscribed radius of a shape, pixels. */
  radius: [number, number];
}

export const DEFAULT_SCENE: Readonly<SceneOptions> = Object.freeze<SceneOptions>({
  width: [224, 352],
  height: [192, 320],
  maxObjects: 6,
  radius: [8, 50],
});

export interface SceneObject {
  cls: ShapeClass;
  classIndex: number;
  box: Box;
  /** Covered pixels (sum of the anti-aliased coverage): the object's area for COCO's area ranges. */
  area: number;
}

export interface Scene {
  width: number;
  height: number;
  /** 8-bit RGB, [height, width, 3] row-major. */
  rgb: Uint8Array;
  objects: SceneObject[];
}

function between(rnd: () => number, [lo, hi]: [number, number]): number {
  return lo + (hi - lo) * rnd();
}

function intBetween(rnd: () => number, [lo, hi]: [number, number]): number {
  return lo + Math.floor((hi - lo + 1) * rnd());
}

/** Blend `colour` into `img` with coverage from `distance` (px, negative inside) over the box `b`; returns the coverage sum. */
function blend(
  img: Float32Array,
  width: number,
  height: number,
  b: Box,
  distance: (x: number, y: number) => number,
  colour: (x: number, y: number) => Rgb,
): number {
  let covered = 0;
  const x0 = Math.max(0, Math.floor(b.x1) - 1);
  const y0 = Math.max(0, Math.floor(b.y1) - 1);
  const x1 = Math.min(width - 1, Math.ceil(b.x2) + 1);
  const y1 = Math.min(height - 1, Math.ceil(b.y2) + 1);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const alpha = Math.min(1, Math.max(0, 0.5 - distance(x + 0.5, y + 0.5)));
      if (alpha === 0) continue;
      covered += alpha;
      const c = colour(x + 0.5, y + 0.5);
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) img[o + k] = img[o + k]! * (1 - alpha) + c[k]! * alpha;
    }
  }
  return covered;
}

/** A vivid colour, lit from one side so fills are not flat. */
function shapePaint(rnd: () => number, s: ShapeSpec): (x: number, y: number) => Rgb {
  const pick = rnd();
  const base: Rgb =
    pick < 0.08
      ? hsv(0, 0, 0.05 + 0.1 * rnd())
      : pick < 0.16
        ? hsv(0, 0, 0.85 + 0.15 * rnd())
        : hsv(rnd(), 0.55 + 0.45 * rnd(), 0.45 + 0.55 * rnd());
  const light = rnd() * 2 * Math.PI;
  const [lx, ly] = [Math.cos(light), Math.sin(light)];
  return (x, y) => {
    const shade = 0.85 + 0.15 * (((x - s.cx) * lx + (y - s.cy) * ly) / s.radius);
    return [base[0] * shade, base[1] * shade, base[2] * shade];
  };
}

function drawDistractors(img: Float32Array, width: number, height: number, rnd: () => number): void {
  const count = Math.floor(rnd() * 4);
  for (let i = 0; i < count; i++) {
    const colour = hsv(rnd(), 0.3 + 0.6 * rnd(), 0.3 + 0.6 * rnd());
    const [cx, cy] = [rnd() * width, rnd() * height];
    const angle = rnd() * Math.PI;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    if (rnd() < 0.5) {
      // A line segment (capsule) of half-length hl and half-thickness t.
      const hl = 20 + 100 * rnd();
      const t = 0.7 + 1.5 * rnd();
      const b = { x1: cx - hl - t, y1: cy - hl - t, x2: cx + hl + t, y2: cy + hl + t };
      blend(
        img,
        width,
        height,
        b,
        (x, y) => {
          const u = (x - cx) * c + (y - cy) * s;
          const v = -(x - cx) * s + (y - cy) * c;
          return Math.hypot(Math.max(Math.abs(u) - hl, 0), v) - t;
        },
        () => colour,
      );
    } else {
      // A long ellipse (aspect 2.5–5): never mistaken for a circle or a ring.
      const a = 12 + 40 * rnd();
      const bb = a / (2.5 + 2.5 * rnd());
      const b = { x1: cx - a, y1: cy - a, x2: cx + a, y2: cy + a };
      blend(
        img,
        width,
        height,
        b,
        (x, y) => {
          const u = ((x - cx) * c + (y - cy) * s) / a;
          const v = (-(x - cx) * s + (y - cy) * c) / bb;
          return (Math.hypot(u, v) - 1) * bb;
        },
        () => colour,
      );
    }
  }
}

/** Place up to `count` shapes inside the image without overlapping boxes (gives up on one after 30 tries). */
function placeShapes(width: number, height: number, count: number, o: SceneOptions, rnd: () => number): ShapeSpec[] {
  const placed: Array<{ spec: ShapeSpec; box: Box }> = [];
  for (let n = 0; n < count; n++) {
    const cls = SHAPE_CLASSES[Math.floor(rnd() * SHAPE_CLASSES.length)]!;
    for (let attempt = 0; attempt < 30; attempt++) {
      const radius = Math.min(between(rnd, o.radius), width / 2 - 2, height / 2 - 2);
      const spec: ShapeSpec = {
        cls,
        radius,
        angle: rnd() * 2 * Math.PI,
        cx: between(rnd, [radius + 1, width - radius - 1]),
        cy: between(rnd, [radius + 1, height - radius - 1]),
      };
      const box = shapeBox(spec);
      const grown = { x1: box.x1 - 3, y1: box.y1 - 3, x2: box.x2 + 3, y2: box.y2 + 3 };
      if (placed.every((p) => boxIou(p.box, grown) === 0)) {
        placed.push({ spec, box });
        break;
      }
    }
  }
  return placed.map((p) => p.spec);
}

export function renderScene(rnd: () => number, options: SceneOptions = DEFAULT_SCENE): Scene {
  const width = intBetween(rnd, options.width);
  const height = intBetween(rnd, options.height);
  const img = new Float32Array(width * height * 3);
  paintBackground(img, width, height, TEXTURE_KINDS[Math.floor(rnd() * TEXTURE_KINDS.length)]!, rnd);
  drawDistractors(img, width, height, rnd);
  const specs = placeShapes(width, height, 1 + Math.floor(rnd() * options.maxObjects), options, rnd);
  const objects: SceneObject[] = [];
  for (const spec of specs) {
    const box = shapeBox(spec);
    const area = blend(img, width, height, box, (x, y) => signedDistance(spec, x, y), shapePaint(rnd, spec));
    objects.push({ cls: spec.cls, classIndex: SHAPE_CLASSES.indexOf(spec.cls), box, area });
  }
  const noise = 0.01 + 0.03 * rnd();
  const rgb = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) rgb[i] = Math.min(255, Math.max(0, Math.round(255 * (img[i]! + noise * (rnd() + rnd() - 1)))));
  return { width, height, rgb, objects };
}
