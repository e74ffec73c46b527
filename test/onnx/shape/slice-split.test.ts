import { test } from 'node:test';
import { checkCase } from './cases/case.js';
import { selectCases } from './cases/select-cases.js';

for (const c of selectCases) test(`shape: ${c.name}`, () => void checkCase(c));
