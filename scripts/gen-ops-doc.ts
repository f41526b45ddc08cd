// Writes docs/OPERATORS.md from the op registry.
import fs from 'node:fs';
import path from 'node:path';
import { operatorsMarkdown } from '../engine/ops-doc.js';

fs.writeFileSync(path.resolve(__dirname, '../docs/OPERATORS.md'), operatorsMarkdown());
