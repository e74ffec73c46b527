import { test } from 'node:test';
import { checkCase } from './cases/case.js';
import { resizeCases } from './cases/resize-cases.js';

for (const c of resizeCases) test(`shape: ${c.name}`, () => void checkCase(c));
