// Is the machine quiet enough for a figure? A loaded box flatters whichever side suffers less, so
// before a measured run the benchmarks look at the load average and at every process that used
// more than 5% of a core over one second, and mark the run NOISY when the load is above 1.5 or
// anything but the benchmark itself is busy (the stack idling between runs included).
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

const ticksPerSecond = 100;
const maxQuietLoad = 1.5;
const busyShare = 0.05;

interface ProcessTicks {
  name: string;
  ticks: number;
}

function processTicks(): Map<number, ProcessTicks> {
  const ticks = new Map<number, ProcessTicks>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(Number(entry), { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return ticks;
}

export interface MachineState {
  load: number[];
  busy: Array<{ pid: number; name: string; share: number }>;
  noisy: boolean;
  /** One line: the load, the busy processes, NOISY and why. */
  summary: string;
}

/** The load average, and the processes above 5% of a core over `sampleMs`, this process aside. */
export async function machineState(sampleMs = 1_000): Promise<MachineState> {
  const before = processTicks();
  await sleep(sampleMs);
  const after = processTicks();
  const busy: MachineState['busy'] = [];
  for (const [pid, now] of after) {
    const then = before.get(pid);
    if (!then || pid === process.pid) continue;
    const share = (now.ticks - then.ticks) / ticksPerSecond / (sampleMs / 1000);
    if (share > busyShare) busy.push({ pid, name: now.name, share });
  }
  busy.sort((a, b) => b.share - a.share);
  const load = loadavg();
  const reasons = [...(load[0]! > maxQuietLoad ? [`load ${load[0]!.toFixed(2)} > ${maxQuietLoad}`] : []), ...(busy.length > 0 ? ['other processes busy'] : [])];
  const processes = busy.length === 0 ? 'no other process above 5% of a core' : `busy: ${busy.map((p) => `${p.name}(${p.pid}) ${(p.share * 100).toFixed(0)}%`).join(', ')}`;
  const summary = `load average ${load.map((l) => l.toFixed(2)).join(' ')}; ${processes}${reasons.length ? `; NOISY (${reasons.join(', ')})` : ''}`;
  return { load, busy, noisy: reasons.length > 0, summary };
}

/**
 * Waits, up to `maxWaitMs`, for the machine to be quiet: the load average of the run before (the
 * benchmark's own) takes a minute or so to fall below the bound. Returns the last look.
 */
export async function waitForQuiet(maxWaitMs = 120_000): Promise<MachineState> {
  const deadline = Date.now() + maxWaitMs;
  let state = await machineState();
  while (state.noisy && Date.now() < deadline) {
    await sleep(4_000);
    state = await machineState();
  }
  return state;
}
