// Placeholder: the typed wrapper around the native addon (kernels, CPU detection, timers).
export interface NativeBackend {
  readonly available: boolean;
}

export function loadNative(): NativeBackend {
  return { available: false };
}
