// The PyTorch-exported model family (scripts/export-torch-models.py) and its on-disk cache.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export const EXPORT_SCRIPT = path.join(ROOT, 'scripts/export-torch-models.py');
export const TORCH_MODELS_DIR = path.join(ROOT, '.cache/torch-models');
/** Debian's interpreter: the one with python3-torch, python3-torchvision and python3-onnx. */
export const PYTHON = '/usr/bin/python3';
const STAMP = 'export-script.sha256';

/**
 * What the export script must produce, with its opset. Listed here (not read from the cache) so the
 * tests exist before the export runs and a model the script silently stopped exporting fails.
 */
export const TORCH_MODELS: ReadonlyArray<{ name: string; opset: number }> = [
  { name: 'resnet18', opset: 13 },
  { name: 'mobilenet_v2', opset: 14 },
  { name: 'mobilenet_v3_small', opset: 15 },
  { name: 'squeezenet1_1', opset: 16 },
  { name: 'shufflenet_v2_x0_5', opset: 17 },
  { name: 'efficientnet_b0', opset: 13 },
  { name: 'regnet_y_400mf', opset: 16 },
  { name: 'bert_tiny_op14', opset: 14 },
  { name: 'bert_tiny_op17', opset: 17 },
  { name: 'llama_tiny_op14', opset: 14 },
  { name: 'llama_tiny_op17', opset: 17 },
  { name: 'bert_tiny_dynamic', opset: 15 },
  { name: 'llama_tiny_dynamic', opset: 17 },
];

export function exportScriptHash(): string {
  return crypto.createHash('sha256').update(fs.readFileSync(EXPORT_SCRIPT)).digest('hex');
}

/** The script writes its own hash last, so a present, matching stamp means complete and current. */
export function isExportCurrent(dir = TORCH_MODELS_DIR): boolean {
  const stamp = path.join(dir, STAMP);
  return fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === exportScriptHash();
}

/**
 * Exports the models unless the cache is current. Throws (never skips) when Debian's Python or
 * its torch packages are missing: these tests are part of the suite, not optional extras.
 */
export function ensureTorchModels(dir = TORCH_MODELS_DIR): void {
  if (isExportCurrent(dir)) return;
  if (!fs.existsSync(PYTHON)) {
    throw new Error(`${PYTHON} not found: install python3-torch python3-torchvision python3-onnx (see README) to export the torch models`);
  }
  try {
    execFileSync(PYTHON, ['-c', 'import torch, torchvision, onnx'], { stdio: 'pipe' });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim().split('\n').pop();
    throw new Error(`${PYTHON} cannot import torch/torchvision/onnx (${stderr}): apt-get install python3-torch python3-torchvision python3-onnx`);
  }
  try {
    // Two threads at most: the export shares the machine with the rest of the suite.
    execFileSync(PYTHON, [EXPORT_SCRIPT, dir], { stdio: 'pipe', timeout: 600_000, maxBuffer: 64 << 20, env: { ...process.env, OMP_NUM_THREADS: '2' } });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    const tail = String(err.stderr ?? '').trim().split('\n').slice(-15).join('\n');
    throw new Error(`${EXPORT_SCRIPT} failed: ${err.message.split('\n')[0]}\n${tail}`);
  }
  if (!isExportCurrent(dir)) throw new Error(`${EXPORT_SCRIPT} finished but ${path.join(dir, STAMP)} does not match the script`);
}
