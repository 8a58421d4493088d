// Progress for long work: bars and steps on a terminal, nothing at all when stderr is piped.
import { SingleBar, Presets } from 'cli-progress';
import { runningInCi } from './config.js';

export interface ProgressBar {
  update(done: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

export interface Progress {
  readonly enabled: boolean;
  /** A one-line message about the step now starting ("starting Kafka on 127.0.0.1:9092"). */
  step(message: string): void;
  /** A bar towards `total`; with a total of 0 the size is unknown and it shows a running count. */
  bar(label: string, total: number, unit?: string): ProgressBar;
}

const silentBar: ProgressBar = { update() {}, setTotal() {}, stop() {} };

export function createProgress(enabled: boolean = Boolean(process.stderr.isTTY) && !runningInCi()): Progress {
  return {
    enabled,
    step(message) {
      if (enabled) process.stderr.write(`• ${message}\n`);
    },
    bar(label, total, unit = '') {
      if (!enabled) return silentBar;
      const bar = new SingleBar(
        {
          format: total > 0 ? `  ${label} [{bar}] {percentage}% {value}/{total}${unit} {detail}` : `  ${label}: {value}${unit} {detail}`,
          stream: process.stderr,
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      );
      bar.start(total, 0, { detail: '' });
      return {
        update: (done, payload) => bar.update(done, { detail: '', ...payload }),
        setTotal: (n) => (total > 0 ? bar.setTotal(n) : undefined),
        stop: () => bar.stop(),
      };
    },
  };
}
