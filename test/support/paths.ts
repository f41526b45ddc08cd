import path from 'node:path';

/** The shared test data beside the project root (also in CI). */
export const SHARED = path.resolve(__dirname, '../../../shared/testdata');
export const ROOT = path.resolve(__dirname, '../..');
