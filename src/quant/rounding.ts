/** Round half to even, as ONNX QuantizeLinear (and numpy.round) do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends .5 up; step back when that lands on an odd number.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export { seededRandom } from '../util/seeded-random.js';
