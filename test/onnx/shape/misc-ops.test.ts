import { test } from 'node:test';
import { checkCase } from './cases/case.js';
import { miscCases } from './cases/misc-cases.js';

for (const c of miscCases) test(`shape: ${c.name}`, () => void checkCase(c));
