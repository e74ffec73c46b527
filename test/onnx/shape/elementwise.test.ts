import { test } from 'node:test';
import { checkCase } from './cases/case.js';
import { elementwiseCases } from './cases/elementwise-cases.js';

for (const c of elementwiseCases) test(`shape: ${c.name}`, () => void checkCase(c));
