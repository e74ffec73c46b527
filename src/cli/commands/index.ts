import type { Command } from '../command.js';
import { applyCommand } from './apply.js';
import { benchCommand } from './bench.js';
import { checkCommand } from './check.js';
import { convertCommand } from './convert.js';
import { evalCommand } from './eval.js';
import { exampleCommand } from './example.js';
import { inspectCommand } from './inspect.js';
import { learnCommand } from './learn.js';
import { qatCommand } from './qat.js';
import { quantizeCommand } from './quantize.js';
import { runCommand } from './run.js';
import { sensitivityCommand } from './sensitivity.js';

/** Every command, in the order `yoloq --help` lists them: the one registry the CLI and its tests read. */
export const COMMANDS: readonly Command[] = Object.freeze([
  runCommand,
  inspectCommand,
  checkCommand,
  evalCommand,
  benchCommand,
  quantizeCommand,
  sensitivityCommand,
  applyCommand,
  convertCommand,
  qatCommand,
  learnCommand,
  exampleCommand,
]);
