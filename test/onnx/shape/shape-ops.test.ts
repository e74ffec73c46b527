import { test } from 'node:test';
import { checkCase } from './cases/case.js';
import { shapeCases } from './cases/shape-cases.js';

for (const c of shapeCases) test(`shape: ${c.name}`, () => void checkCase(c));
