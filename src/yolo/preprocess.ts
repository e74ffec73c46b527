import type { RgbImage } from '../data/images.js';
import { toHalfBits } from '../onnx/ir/float16.js';
import type { HostTensor } from '../runtime/host-tensor.js';

/**
 * Letterboxing: resize an image keeping its aspect ratio, place it on a padded canvas of the model's input size,
 * and lay it out as the NCHW tensor the model takes. Returns the geometry so that boxes map back:
 * `x_image = (x_input − padX) / scale`, `y_image = (y_input − padY) / scale`.
 *
 * Conventions follow the reference implementations:
 *  - scale r = min(inputW / w, inputH / h) (upscaling allowed, as in ultralytics `predict` and YOLOX);
 *  - resized size: ultralytics rounds (`round(w·r)`), YOLOX truncates (`int(w·r)`): `sizeRounding`;
 *  - 'centre' placement puts the odd padding pixel at the bottom/right (left = floor((W − w')/2), which is what
 *    ultralytics' `round(dw − 0.1)` computes); 'top-left' is YOLOX's;
 *  - boxes map back with r itself (not w'/w), as ultralytics `scale_boxes` and YOLOX do.
 * Resampling is bilinear with OpenCV's INTER_LINEAR sampling grid (half-pixel centres, edge clamping), computed
 * in floating point and rounded to uint8 as cv2.resize does for 8-bit images (OpenCV's 11-bit fixed-point
 * weights can differ by one level on a few pixels).
 */

export type Placement = 'centre' | 'top-left';
export type ChannelOrder = 'rgb' | 'bgr';
/** 'unit': pixel / 255 in [0, 1]; 'byte': raw 0–255. */
export type PixelRange = 'unit' | 'byte';
export type InputDType = 'float32' | 'float16';
export type SizeRounding = 'round' | 'floor';

export interface LetterboxOptions {
  /** Model input width and height in pixels. */
  width: number;
  height: number;
  placement: Placement;
  /** Padding level, an integer 0–255 before range scaling (114 for YOLO models). */
  padValue: number;
  channelOrder: ChannelOrder;
  pixelRange: PixelRange;
  dtype: InputDType;
  sizeRounding: SizeRounding;
}

export interface LetterboxGeometry {
  srcWidth: number;
  srcHeight: number;
  inputWidth: number;
  inputHeight: number;
  /** r = min(inputWidth / srcWidth, inputHeight / srcHeight). */
  scale: number;
  resizedWidth: number;
  resizedHeight: number;
  /** Left and top offsets of the resized image on the canvas, in input pixels. */
  padX: number;
  padY: number;
}

export function letterboxGeometry(
  srcWidth: number,
  srcHeight: number,
  o: Pick<LetterboxOptions, 'width' | 'height' | 'placement' | 'sizeRounding'>,
): LetterboxGeometry {
  if (!(srcWidth > 0 && srcHeight > 0)) throw new RangeError(`image size ${srcWidth}x${srcHeight} is empty`);
  const scale = Math.min(o.width / srcWidth, o.height / srcHeight);
  const fit = (v: number, max: number): number => Math.min(max, Math.max(1, o.sizeRounding === 'round' ? Math.round(v) : Math.floor(v)));
  const resizedWidth = fit(srcWidth * scale, o.width);
  const resizedHeight = fit(srcHeight * scale, o.height);
  const centre = o.placement === 'centre';
  return {
    srcWidth,
    srcHeight,
    inputWidth: o.width,
    inputHeight: o.height,
    scale,
    resizedWidth,
    resizedHeight,
    padX: centre ? Math.floor((o.width - resizedWidth) / 2) : 0,
    padY: centre ? Math.floor((o.height - resizedHeight) / 2) : 0,
  };
}

/** Source index and weight tables along one axis, OpenCV INTER_LINEAR style. */
function axisTaps(srcSize: number, dstSize: number): { i0: Int32Array; i1: Int32Array; w: Float64Array } {
  const i0 = new Int32Array(dstSize);
  const i1 = new Int32Array(dstSize);
  const w = new Float64Array(dstSize);
  const step = srcSize / dstSize;
  for (let d = 0; d < dstSize; d++) {
    const f = (d + 0.5) * step - 0.5;
    let s = Math.floor(f);
    let a = f - s;
    if (s < 0) (s = 0), (a = 0);
    if (s >= srcSize - 1) (s = srcSize - 1), (a = 0);
    i0[d] = s;
    i1[d] = Math.min(s + 1, srcSize - 1);
    w[d] = a;
  }
  return { i0, i1, w };
}

/**
 * Bilinear resize of an interleaved uint8 image. `src` is [srcH, srcW, channels] row-major; returns
 * [dstH, dstW, channels]. Values are rounded half up.
 */
export function resizeBilinear(src: Uint8Array, srcW: number, srcH: number, dstW: number, dstH: number, channels = 3): Uint8Array {
  if (src.length !== srcW * srcH * channels) throw new RangeError(`resizeBilinear: ${src.length} bytes for ${srcW}x${srcH}x${channels}`);
  const out = new Uint8Array(dstW * dstH * channels);
  const xt = axisTaps(srcW, dstW);
  const yt = axisTaps(srcH, dstH);
  const rowStride = srcW * channels;
  let o = 0;
  for (let y = 0; y < dstH; y++) {
    const r0 = yt.i0[y]! * rowStride;
    const r1 = yt.i1[y]! * rowStride;
    const wy = yt.w[y]!;
    for (let x = 0; x < dstW; x++) {
      const c0 = xt.i0[x]! * channels;
      const c1 = xt.i1[x]! * channels;
      const wx = xt.w[x]!;
      for (let c = 0; c < channels; c++) {
        const top = src[r0 + c0 + c]! + (src[r0 + c1 + c]! - src[r0 + c0 + c]!) * wx;
        const bottom = src[r1 + c0 + c]! + (src[r1 + c1 + c]! - src[r1 + c0 + c]!) * wx;
        out[o++] = Math.floor(top + (bottom - top) * wy + 0.5);
      }
    }
  }
  return out;
}

/** The 256 input values a byte level maps to, as float32 values or float16 bit patterns. */
function levelTable(range: PixelRange, dtype: InputDType): Float32Array | Uint16Array {
  const values = Float32Array.from({ length: 256 }, (_, v) => (range === 'unit' ? v / 255 : v));
  return dtype === 'float32' ? values : Uint16Array.from(values, (v) => toHalfBits(v));
}

function checkOptions(o: LetterboxOptions): void {
  if (!Number.isInteger(o.width) || !Number.isInteger(o.height) || o.width < 1 || o.height < 1) {
    throw new RangeError(`letterbox size ${o.width}x${o.height} must be positive integers`);
  }
  if (!Number.isInteger(o.padValue) || o.padValue < 0 || o.padValue > 255)
    throw new RangeError(`padValue ${o.padValue} must be an integer 0–255`);
}

/**
 * Letterbox an RGB image into the model input: returns a [1, 3, height, width] NCHW tensor (float32, or float16
 * bit patterns when `dtype` is 'float16'), channels in `channelOrder`, and the geometry used.
 */
export function letterbox(
  image: RgbImage,
  o: LetterboxOptions,
): { tensor: HostTensor<'float32'> | HostTensor<'float16'>; geometry: LetterboxGeometry } {
  checkOptions(o);
  const g = letterboxGeometry(image.width, image.height, o);
  const resized =
    g.resizedWidth === image.width && g.resizedHeight === image.height
      ? image.data
      : resizeBilinear(image.data, image.width, image.height, g.resizedWidth, g.resizedHeight, 3);
  const table = levelTable(o.pixelRange, o.dtype);
  const plane = o.width * o.height;
  const out = o.dtype === 'float32' ? new Float32Array(3 * plane) : new Uint16Array(3 * plane);
  out.fill(table[o.padValue]!);
  for (let c = 0; c < 3; c++) {
    const srcC = o.channelOrder === 'rgb' ? c : 2 - c;
    const base = c * plane;
    for (let y = 0; y < g.resizedHeight; y++) {
      let s = y * g.resizedWidth * 3 + srcC;
      let d = base + (y + g.padY) * o.width + g.padX;
      for (let x = 0; x < g.resizedWidth; x++, s += 3) out[d++] = table[resized[s]!]!;
    }
  }
  const dims = [1, 3, o.height, o.width];
  const tensor =
    out instanceof Float32Array ? { dtype: 'float32' as const, dims, data: out } : { dtype: 'float16' as const, dims, data: out };
  return { tensor, geometry: g };
}

/** A box [x1, y1, x2, y2] in model-input pixels → original image pixels (unclipped). */
export function boxToImage(box: readonly [number, number, number, number], g: LetterboxGeometry): [number, number, number, number] {
  return [(box[0] - g.padX) / g.scale, (box[1] - g.padY) / g.scale, (box[2] - g.padX) / g.scale, (box[3] - g.padY) / g.scale];
}
