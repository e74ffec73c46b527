import { InputError } from '../../errors.js';
import type { Attribute, Node } from './graph.js';
import type { Tensor } from './tensor.js';

/**
 * Typed attribute accessors; each returns `fallback` when the attribute is absent. An attribute of the wrong kind is
 * a defect of the model file, so it raises an InputError.
 */

export function findAttr(node: Node, name: string): Attribute | undefined {
  return node.attributes.find((a) => a.name === name);
}

function wrongKind(node: Node, a: Attribute, want: string): InputError {
  return new InputError(`${node.opType} ${node.name ?? ''}: attribute ${a.name} is ${a.value.kind}, expected ${want}`);
}

export function getInt(node: Node, name: string, fallback: number): number;
export function getInt(node: Node, name: string): number | undefined;
export function getInt(node: Node, name: string, fallback?: number): number | undefined {
  const a = findAttr(node, name);
  if (!a) return fallback;
  if (a.value.kind !== 'int') throw wrongKind(node, a, 'int');
  return clampToNumber(a.value.value);
}

export function getFloat(node: Node, name: string, fallback: number): number {
  const a = findAttr(node, name);
  if (!a) return fallback;
  if (a.value.kind !== 'float') throw wrongKind(node, a, 'float');
  return a.value.value;
}

export function getInts(node: Node, name: string): number[] | undefined {
  const a = findAttr(node, name);
  if (!a) return undefined;
  if (a.value.kind !== 'ints') throw wrongKind(node, a, 'ints');
  return a.value.value.map(clampToNumber);
}

export function getString(node: Node, name: string): string | undefined {
  const a = findAttr(node, name);
  if (!a) return undefined;
  if (a.value.kind !== 'string') throw wrongKind(node, a, 'string');
  return new TextDecoder().decode(a.value.value);
}

export function getTensorAttr(node: Node, name: string): Tensor | undefined {
  const a = findAttr(node, name);
  if (!a) return undefined;
  if (a.value.kind !== 'tensor') throw wrongKind(node, a, 'tensor');
  return a.value.value;
}

/** int64 attribute → number, saturating at ±(2^53 − 1) (INT64_MAX is the usual "to the end" marker). */
export function clampToNumber(v: bigint): number {
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  if (v > max) return Number.MAX_SAFE_INTEGER;
  if (v < -max) return -Number.MAX_SAFE_INTEGER;
  return Number(v);
}

export function intAttr(name: string, value: number | bigint): Attribute {
  return { name, typeCode: 2, value: { kind: 'int', value: BigInt(value) } };
}

export function intsAttr(name: string, values: Array<number | bigint>): Attribute {
  return { name, typeCode: 7, value: { kind: 'ints', value: values.map((v) => BigInt(v)) } };
}

export function floatAttr(name: string, value: number): Attribute {
  return { name, typeCode: 1, value: { kind: 'float', value } };
}

export function stringAttr(name: string, value: string): Attribute {
  return { name, typeCode: 3, value: { kind: 'string', value: new TextEncoder().encode(value) } };
}

export function tensorAttr(name: string, value: Tensor): Attribute {
  return { name, typeCode: 4, value: { kind: 'tensor', value } };
}
