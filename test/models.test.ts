// The shared real-world models reproduce their reference outputs in every available mode.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase } from '../engine/testdata/suite.js';
import { AVAILABLE_MODES } from '../engine/profile.js';
import { SHARED } from './support/paths.js';

const MODELS = path.join(SHARED, 'models');
const names = fs.readdirSync(MODELS).filter((d) => fs.existsSync(path.join(MODELS, d, 'model.onnx')));

describe('shared models', () => {
  it('are all present', () => {
    expect(names).toEqual(expect.arrayContaining(['mnist-8', 'ppocr_mobile_v2_cls', 'ppocr_v4_det', 'ppocr_v4_rec', 'silero_vad_v5']));
  });
  for (const name of names) {
    for (const mode of AVAILABLE_MODES) {
      it(`${name} reproduces its reference outputs in ${mode} mode`, () => {
        const r = runCase(path.join(MODELS, name), mode, 2);
        expect(r.status, r.reason).toBe('pass');
      });
    }
  }
});
