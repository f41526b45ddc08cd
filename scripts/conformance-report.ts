// Runs every ONNX backend-test folder and writes docs/CONFORMANCE.md.
import fs from 'node:fs';
import path from 'node:path';
import { runFolder } from '../engine/testdata/suite.js';
import { conformanceMarkdown } from '../engine/testdata/report.js';

export const FOLDERS = ['onnx-node', 'onnx-pytorch-converted', 'onnx-pytorch-operator', 'onnx-simple', 'onnx-light'];
const shared = path.resolve(__dirname, '../../shared/testdata');
const folders = FOLDERS.map((folder) => ({ folder, results: runFolder(path.join(shared, folder)) }));
fs.writeFileSync(path.resolve(__dirname, '../docs/CONFORMANCE.md'), conformanceMarkdown(folders, 'npm run docs:conformance'));
