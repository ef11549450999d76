// A CPU profile of this process, taken with the inspector's sampling profiler (no --inspect needed,
// nothing listens on a debugger port) and written in the .cpuprofile format Chrome DevTools loads.
// The process keeps serving while it runs: the profiler only samples the stack, about once a millisecond.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export async function writeCpuProfile(seconds: number, file: string): Promise<void> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    await sleep(seconds * 1000);
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile), { mode: 0o600, flag: 'wx' });
  } finally {
    session.disconnect();
  }
}
