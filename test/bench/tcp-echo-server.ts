// The TCP bench's upstream, run as its own process (pinned by the bench): echoes every byte and the
// FIN, with the same half-open sockets both proxies get.
//   node dist/test/bench/tcp-echo-server.js PORT
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => process.stdout.write(`echo on ${port}\n`));
