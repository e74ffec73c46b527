/**
 * Ultralytics writes model facts into ONNX metadata_props as Python reprs: `stride` "32", `names`
 * "{0: 'person', 1: 'bicycle', …}", and (ultralytics ≥ 8) `task` "detect", `imgsz` "[640, 640]", `author`,
 * `end2end` "True" for NMS-free exports. YOLOv5's own exporter writes only `stride` and `names`.
 */

export interface UltralyticsMetadata {
  stride?: number;
  /** Class names by index. */
  names?: string[];
  task?: string;
  /** [height, width]. */
  imgsz?: [number, number];
  end2end?: boolean;
  author?: string;
  /** True when any of the keys above was present. */
  present: boolean;
}

const QUOTED = String.raw`'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"`;

function unescapePy(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** Parse a Python dict `{0: 'a', 1: "b"}` or list `['a', 'b']` repr of class names. */
export function parseNames(repr: string): string[] | undefined {
  const text = repr.trim();
  const names: string[] = [];
  if (text.startsWith('{')) {
    const re = new RegExp(String.raw`(\d+)\s*:\s*(?:${QUOTED})`, 'g');
    for (const m of text.matchAll(re)) names[Number(m[1])] = unescapePy(m[2] ?? m[3] ?? '');
  } else if (text.startsWith('[')) {
    for (const m of text.matchAll(new RegExp(QUOTED, 'g'))) names.push(unescapePy(m[1] ?? m[2] ?? ''));
  }
  if (names.length === 0) return undefined;
  return Array.from(names, (n, i) => n ?? String(i));
}

export function parseUltralyticsMetadata(metadata: ReadonlyArray<readonly [string, string]>): UltralyticsMetadata {
  const m = new Map(metadata.map(([k, v]) => [k, v]));
  const out: UltralyticsMetadata = { present: false };
  const stride = m.get('stride');
  if (stride !== undefined) {
    const s = Number(
      stride
        .replace(/[^\d.]/g, ' ')
        .trim()
        .split(/\s+/)
        .pop(),
    );
    if (Number.isFinite(s) && s > 0) out.stride = s;
  }
  const names = m.get('names');
  if (names !== undefined) {
    const parsed = parseNames(names);
    if (parsed) out.names = parsed;
  }
  const task = m.get('task');
  if (task !== undefined) out.task = task.trim();
  const imgsz = m.get('imgsz')?.match(/(\d+)\D+(\d+)/);
  if (imgsz) out.imgsz = [Number(imgsz[1]), Number(imgsz[2])];
  const e2e = m.get('end2end');
  if (e2e !== undefined) out.end2end = /^true$/i.test(e2e.trim());
  const author = m.get('author');
  if (author !== undefined) out.author = author;
  out.present = ['stride', 'names', 'task', 'imgsz', 'end2end'].some((k) => m.has(k));
  return out;
}
