// One HTTP/1.1 upstream of the chaos run in a process of its own, so it can be SIGKILLed like a
// crashed server: the counting upstream of the scenarios on a given port.
//   node dist/test/chaos/upstream-process.js NAME PORT
// Prints `listening PORT` once it accepts connections; SIGTERM closes it.
import { startCountingUpstream } from '../e2e/scenario/counting-upstream.js';

const [name, port] = [process.argv[2], Number(process.argv[3])];
if (name === undefined || !Number.isInteger(port) || port <= 0) {
  console.error('usage: upstream-process.js NAME PORT');
  process.exit(2);
}
const upstream = await startCountingUpstream(name, port);
console.log(`listening ${upstream.port}`);
process.once('SIGTERM', () => void upstream.close().then(() => process.exit(0)));
