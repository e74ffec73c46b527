/**
 * Procedural backgrounds for the synthetic detection set: muted two-colour textures (value-noise clouds, warped
 * stripes, warped checkers, noisy gradients), so that a detector has to find shapes by outline rather than by
 * "anything that is not flat". Every function is a pure function of its random source.
 */

/** RGB in [0, 1]. */
export type Rgb = [number, number, number];

/** HSV (h in turns, s and v in [0, 1]) → RGB. */
export function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number): number => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/** Bilinear value noise on a lattice of `cell` pixels, smoothstepped; values in [0, 1]. */
export class ValueNoise {
  private readonly grid: Float32Array;
  private readonly gw: number;

  constructor(
    rnd: () => number,
    width: number,
    height: number,
    private readonly cell: number,
  ) {
    this.gw = Math.ceil(width / cell) + 2;
    const gh = Math.ceil(height / cell) + 2;
    this.grid = Float32Array.from({ length: this.gw * gh }, () => rnd());
  }

  at(x: number, y: number): number {
    const gx = x / this.cell;
    const gy = y / this.cell;
    const ix = Math.floor(gx);
    const iy = Math.floor(gy);
    const sx = smooth(gx - ix);
    const sy = smooth(gy - iy);
    const g = this.grid;
    const i = iy * this.gw + ix;
    const top = g[i]! + (g[i + 1]! - g[i]!) * sx;
    const bottom = g[i + this.gw]! + (g[i + this.gw + 1]! - g[i + this.gw]!) * sx;
    return top + (bottom - top) * sy;
  }
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** Three octaves of value noise (cells of `base`, base/2, base/4 pixels), in [0, 1]. */
export function fbm(rnd: () => number, width: number, height: number, base: number): (x: number, y: number) => number {
  const octaves = [
    new ValueNoise(rnd, width, height, base),
    new ValueNoise(rnd, width, height, base / 2),
    new ValueNoise(rnd, width, height, base / 4),
  ];
  return (x, y) => (4 * octaves[0]!.at(x, y) + 2 * octaves[1]!.at(x, y) + octaves[2]!.at(x, y)) / 7;
}

export const TEXTURE_KINDS = Object.freeze(['clouds', 'stripes', 'checker', 'gradient'] as const);
export type TextureKind = (typeof TEXTURE_KINDS)[number];

/**
 * Fill `out` (RGB float, [height, width, 3] row-major, values in [0, 1]) with a background of the given kind in
 * two muted colours.
 */
export function paintBackground(out: Float32Array, width: number, height: number, kind: TextureKind, rnd: () => number): void {
  const hue = rnd();
  const a = hsv(hue, 0.1 + 0.35 * rnd(), 0.3 + 0.5 * rnd());
  const b = hsv((hue + 0.1 + 0.3 * rnd()) % 1, 0.1 + 0.35 * rnd(), 0.3 + 0.5 * rnd());
  const noise = fbm(rnd, width, height, 24 + 72 * rnd());
  const angle = rnd() * Math.PI;
  const freq = (2 * Math.PI) / (8 + 28 * rnd());
  const warp = 4 + 12 * rnd();
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const mix = (x: number, y: number): number => {
    const n = noise(x, y);
    switch (kind) {
      case 'clouds':
        return n;
      case 'stripes':
        return 0.5 + 0.5 * Math.sin((x * dx + y * dy) * freq + warp * n);
      case 'checker': {
        const u = x * dx + y * dy + warp * 4 * (n - 0.5);
        const v = -x * dy + y * dx;
        const cell = (2 * Math.PI) / freq;
        return (Math.floor(u / cell) + Math.floor(v / cell)) % 2 === 0 ? 0.2 + 0.3 * n : 0.6 + 0.4 * n;
      }
      case 'gradient':
        return Math.min(1, Math.max(0, ((x * dx + y * dy) / Math.max(width, height) + 0.6 * (n - 0.5)) * 0.8 + 0.3));
    }
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = mix(x, y);
      const o = (y * width + x) * 3;
      out[o] = a[0] + (b[0] - a[0]) * t;
      out[o + 1] = a[1] + (b[1] - a[1]) * t;
      out[o + 2] = a[2] + (b[2] - a[2]) * t;
    }
  }
}
