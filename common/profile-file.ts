// Reading `armml.profile/1` files written by someone else (the CLI, CI, an older or newer build):
// shared by the extension host and the CLI, so a bad file gets the same one-line reason in both.
import { PROFILE_SCHEMA, type ProfileDoc } from './profile.js';

export { PROFILE_SCHEMA };

export class ProfileFileError extends Error {}

/** Parses an armml.profile/1 document, or explains what is wrong with it. */
export function parseProfileDoc(text: string, file: string): ProfileDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ProfileFileError(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ProfileFileError(`${file} is not an armml profile (expected a JSON object)`);
  const schema = (doc as { schema?: unknown }).schema;
  if (schema === undefined) throw new ProfileFileError(`${file} is not an armml profile: it has no "schema" field (expected "${PROFILE_SCHEMA}")`);
  if (schema !== PROFILE_SCHEMA) {
    throw new ProfileFileError(`${file} has schema ${JSON.stringify(schema)}; this version of Arm ML Profiler reads "${PROFILE_SCHEMA}"`);
  }
  const d = doc as Partial<ProfileDoc>;
  if (!Array.isArray(d.runs)) throw new ProfileFileError(`${file} is not a valid ${PROFILE_SCHEMA} document: "runs" must be a list`);
  if (typeof d.model !== 'object' || d.model === null) throw new ProfileFileError(`${file} is not a valid ${PROFILE_SCHEMA} document: "model" is missing`);
  for (const [i, r] of d.runs.entries()) {
    if (typeof r !== 'object' || r === null || typeof r.mode !== 'string' || !Array.isArray(r.ops)) {
      throw new ProfileFileError(`${file} is not a valid ${PROFILE_SCHEMA} document: runs[${i}] needs a "mode" and an "ops" list`);
    }
  }
  return doc as ProfileDoc;
}
