/**
 * Spending a bits budget across layers: each layer has a few ways to be stored (4-bit at several block sizes, or
 * 8-bit), each with its exact storage cost and a measured output noise. Starting from every layer's cheapest way,
 * the greedy repeatedly takes the move — any layer, to any of its ways that is quieter — with the most noise removed
 * per bit added, among those the budget still allows; a move to 8 bits also has to leave enough parameters at 4 bits.
 * Layers' output noises are taken to add, as the sensitivity budget assumes (sensitivity-budget.ts).
 */

export interface StorageOption {
  /** Total stored bits of the layer's weight this way (decisionBits). */
  bits: number;
  /** Output noise with only this layer stored this way (0 for 8 bits: the sensitivity budget's convention). */
  noise: number;
  /** Whether this way keeps the layer's parameters at ≤ 4 bits (the share the issue's ≥ 90% counts). */
  low: boolean;
}

export interface AllocLayer {
  node: string;
  params: number;
  options: readonly StorageOption[];
}

export interface AllocLimits {
  /** Bits the allocated layers may spend in all. */
  bits: number;
  /** Parameters of the allocated layers that must stay at ≤ 4 bits. */
  lowParams: number;
}

export interface Allocation {
  /** Index into each layer's options, in the layers' order. */
  choice: number[];
  bits: number;
  noise: number;
  lowParams: number;
}

/** The cheapest way of every layer (fewest bits, then least noise). */
function cheapest(options: readonly StorageOption[]): number {
  let best = 0;
  for (let i = 1; i < options.length; i++) {
    const o = options[i]!;
    const b = options[best]!;
    if (o.bits < b.bits || (o.bits === b.bits && o.noise < b.noise)) best = i;
  }
  return best;
}

/** The greedy allocation, or undefined when even every layer's cheapest way exceeds `limits`. */
export function allocateBits(layers: readonly AllocLayer[], limits: AllocLimits): Allocation | undefined {
  const choice = layers.map((l) => cheapest(l.options));
  let bits = 0;
  let lowParams = 0;
  for (const [i, l] of layers.entries()) {
    const o = l.options[choice[i]!]!;
    bits += o.bits;
    if (o.low) lowParams += l.params;
  }
  if (bits > limits.bits || lowParams < limits.lowParams) return undefined;
  for (;;) {
    let best: { layer: number; option: number; slope: number } | undefined;
    for (const [i, l] of layers.entries()) {
      const cur = l.options[choice[i]!]!;
      for (const [j, o] of l.options.entries()) {
        const dBits = o.bits - cur.bits;
        const dNoise = cur.noise - o.noise;
        if (dNoise <= 0 || bits + Math.max(dBits, 0) > limits.bits) continue;
        const dLow = (o.low ? l.params : 0) - (cur.low ? l.params : 0);
        if (lowParams + dLow < limits.lowParams) continue;
        // A quieter way that costs no more bits is taken first (infinite slope).
        const slope = dBits <= 0 ? Infinity : dNoise / dBits;
        // Ties keep the first found: layers in graph order, ways in the order given.
        if (!best || slope > best.slope) best = { layer: i, option: j, slope };
      }
    }
    if (!best) break;
    const l = layers[best.layer]!;
    const cur = l.options[choice[best.layer]!]!;
    const next = l.options[best.option]!;
    bits += next.bits - cur.bits;
    lowParams += (next.low ? l.params : 0) - (cur.low ? l.params : 0);
    choice[best.layer] = best.option;
  }
  const noise = layers.reduce((s, l, i) => s + l.options[choice[i]!]!.noise, 0);
  return { choice, bits, noise, lowParams };
}
