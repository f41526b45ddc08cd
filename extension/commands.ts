// The command ids the extension registers (kept apart from `vscode` so the manifest test can read them).
export const COMMANDS = [
  'armml.profileModel',
  'armml.compareModes',
  'armml.showStack',
  'armml.openProfile',
  'armml.selectTarget',
  'armml.showCpuFeatures',
  'armml.restartAgent',
] as const;
export type CommandId = (typeof COMMANDS)[number];
