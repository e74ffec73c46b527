import sharp from 'sharp';
import type { CocoGroundTruth } from '../../eval/coco/index.js';
import type { CocoDetection } from '../../yolo/predict.js';
import { colour, esc } from './charts.js';

/**
 * Detection overlays for report.html: sample evaluation images with the ground truth (dashed) and each compared
 * variant's detections above a display threshold, drawn as SVG over the image embedded as a data URI (JPEG,
 * at most 480 px wide), so the page needs no file besides itself.
 */

export interface OverlayBox {
  bbox: readonly [number, number, number, number];
  label: string;
  score?: number;
  categoryId: number;
}

export interface OverlayImage {
  file: string;
  width: number;
  height: number;
  dataUri: string;
  gt: OverlayBox[];
  panels: Array<{ variant: string; boxes: OverlayBox[] }>;
}

export interface OverlayRequest {
  gt: CocoGroundTruth;
  /** Image path of each ground-truth image id. */
  pathOf: (imageId: number) => string;
  /** Detections per variant id (COCO results with image ids). */
  detections: ReadonlyArray<{ variant: string; detections: readonly CocoDetection[] }>;
  count: number;
  minScore: number;
}

export async function makeOverlays(req: OverlayRequest): Promise<OverlayImage[]> {
  const names = new Map(req.gt.categories.map((c) => [c.id, c.name]));
  const nameOf = (id: number): string => names.get(id) ?? String(id);
  // Prefer images with several objects: they show more of what changed.
  const counts = new Map<number, number>();
  for (const a of req.gt.annotations) counts.set(a.imageId, (counts.get(a.imageId) ?? 0) + 1);
  const images = [...req.gt.images]
    .sort((a, b) => (counts.get(b.id) ?? 0) - (counts.get(a.id) ?? 0) || a.id - b.id)
    .slice(0, req.count)
    .sort((a, b) => a.id - b.id);
  const out: OverlayImage[] = [];
  for (const im of images) {
    const path = req.pathOf(im.id);
    let jpeg: Buffer;
    try {
      jpeg = await sharp(path)
        .resize({ width: Math.min(480, im.width), withoutEnlargement: true })
        .jpeg({ quality: 80 })
        .toBuffer();
    } catch {
      continue;
    }
    out.push({
      file: path.split(/[\\/]/).pop() ?? path,
      width: im.width,
      height: im.height,
      dataUri: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
      gt: req.gt.annotations
        .filter((a) => a.imageId === im.id && !a.iscrowd)
        .map((a) => ({ bbox: a.bbox, label: nameOf(a.categoryId), categoryId: a.categoryId })),
      panels: req.detections.map((d) => ({
        variant: d.variant,
        boxes: d.detections
          .filter((x) => x.image_id === im.id && x.score >= req.minScore)
          .map((x) => ({ bbox: x.bbox, label: nameOf(x.category_id), score: x.score, categoryId: x.category_id })),
      })),
    });
  }
  return out;
}

function boxSvg(b: OverlayBox, dashed: boolean, strokeWidth: number): string {
  const [x, y, w, h] = b.bbox;
  const c = dashed ? '#ffffff' : colour(b.categoryId);
  const text = b.score === undefined ? b.label : `${b.label} ${b.score.toFixed(2)}`;
  return (
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${c}" stroke-width="${strokeWidth}"${dashed ? ` stroke-dasharray="${strokeWidth * 3} ${strokeWidth * 2}"` : ''}/>` +
    (dashed
      ? ''
      : `<text x="${x}" y="${Math.max(y - 2, strokeWidth * 8)}" fill="${c}" font-size="${strokeWidth * 8}" stroke="#000" stroke-width="${strokeWidth / 3}" paint-order="stroke">${esc(text)}</text>`)
  );
}

/** One image with the ground truth and one variant's boxes. */
export function overlaySvg(img: OverlayImage, panel: OverlayImage['panels'][number]): string {
  const sw = Math.max(1, img.width / 240);
  return (
    `<svg viewBox="0 0 ${img.width} ${img.height}" width="360" height="${Math.round((360 * img.height) / img.width)}" role="img" aria-label="${esc(`${panel.variant} on ${img.file}`)}">` +
    `<image href="${img.dataUri}" x="0" y="0" width="${img.width}" height="${img.height}" preserveAspectRatio="none"/>` +
    img.gt.map((b) => boxSvg(b, true, sw)).join('') +
    panel.boxes.map((b) => boxSvg(b, false, sw)).join('') +
    '</svg>'
  );
}
