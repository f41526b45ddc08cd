// Chrome trace-event JSON (opens in Perfetto and chrome://tracing) from a profile's timelines.
import type { ProfileDoc } from './profile.js';

interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args: Record<string, unknown>;
}

/** One process per mode, nodes as complete events in microseconds. */
export function toChromeTrace(doc: ProfileDoc): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms' } {
  const traceEvents: TraceEvent[] = [];
  doc.runs.forEach((run, i) => {
    const pid = i + 1;
    traceEvents.push({ name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid, tid: 0, args: { name: `${doc.model.name} · ${run.mode} · ${run.threads} thread(s)` } });
    for (const e of run.timeline) {
      traceEvents.push({
        name: e.node,
        cat: e.op,
        ph: 'X',
        ts: e.start_ms * 1000,
        dur: e.dur_ms * 1000,
        pid,
        tid: 1,
        args: { op: e.op, kernel: e.kernel, ...(e.scope ? { scope: e.scope } : {}) },
      });
    }
  });
  return { traceEvents, displayTimeUnit: 'ms' };
}
