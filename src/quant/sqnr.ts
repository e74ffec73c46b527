import { toFloatTensor, type HostTensor } from '../runtime/host-tensor.js';
import { createSession } from '../runtime/session.js';

export interface SqnrResult {
  /** 10·log10(Σ ref² / Σ (ref − q)²) over every element of every output and image, in dB. */
  sqnrDb: number;
  images: number;
  /** Output elements left out because the float or the quantized value was NaN or ±Inf (absent: none). */
  nonFinite?: number;
}

/**
 * Raw-output signal-to-quantization-noise ratio of a quantized model against its float reference, on the same
 * preprocessed inputs. Both models must take the same inputs and give outputs of the same shapes.
 */
export async function measureSqnr(
  reference: Uint8Array,
  quantized: Uint8Array,
  feeds: AsyncIterable<Record<string, HostTensor>>,
  threads = 0,
  onImage?: (n: number) => void,
): Promise<SqnrResult> {
  const a = await createSession(reference, { threads });
  const b = await createSession(quantized, { threads });
  let signal = 0;
  let noise = 0;
  let images = 0;
  let nonFinite = 0;
  try {
    for await (const feed of feeds) {
      const ra = await a.run(feed);
      const rb = await b.run(feed);
      for (const name of Object.keys(ra)) {
        const x = toFloatTensor(ra[name]!).data;
        const y = toFloatTensor(rb[name]!).data;
        for (let i = 0; i < x.length; i++) {
          const d = x[i]! - y[i]!;
          // A NaN or Inf output would make the whole figure NaN: it is counted instead (no NaN is ever printed).
          if (!Number.isFinite(d) || !Number.isFinite(x[i]!)) {
            nonFinite++;
            continue;
          }
          signal += x[i]! * x[i]!;
          noise += d * d;
        }
      }
      onImage?.(++images);
    }
  } finally {
    await a.dispose();
    await b.dispose();
  }
  const sqnrDb = noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
  return { sqnrDb, images, ...(nonFinite > 0 ? { nonFinite } : {}) };
}
