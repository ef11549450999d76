// A heap snapshot of this process, taken with the inspector's heap profiler and written in the
// .heapsnapshot format Chrome DevTools loads. V8 hands it over in chunks while the process is paused;
// each is written to the file as it comes, so the snapshot never sits in memory whole.
import { closeSync, openSync, writeSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export async function writeHeapSnapshot(file: string): Promise<void> {
  const fd = openSync(file, 'wx', 0o600);
  const session = new Session();
  session.connect();
  try {
    session.on('HeapProfiler.addHeapSnapshotChunk', (message) => {
      writeSync(fd, message.params.chunk);
    });
    await session.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  } finally {
    session.disconnect();
    closeSync(fd);
  }
}
