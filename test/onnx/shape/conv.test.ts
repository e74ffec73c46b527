import { test } from 'node:test';
import { checkCase } from './cases/case.js';
import { convCases } from './cases/conv-cases.js';

for (const c of convCases) test(`shape: ${c.name}`, () => void checkCase(c));
