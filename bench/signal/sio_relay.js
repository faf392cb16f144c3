// Minimal Socket.IO signaling relay with the same semantics as tallow's
// server for the benchmark: join a group, relay to a member by socket id,
// membership enforced. Prints "listening on ws://127.0.0.1:PORT" on stderr.
'use strict';
const path = require('path');
const http = require('http');
const { Server } = require(path.join(__dirname, '..', '..', 'node_modules', 'socket.io'));

const port = parseInt(process.argv[2] || '0', 10);
const httpServer = http.createServer();
const io = new Server(httpServer, { transports: ['websocket'], maxHttpBufferSize: 65536 });
const groups = new Map(); // group -> Set(socket id)

io.on('connection', (socket) => {
  const mine = new Set();
  socket.on('join', (msg) => {
    if (!msg || typeof msg.group !== 'string') return socket.emit('error', 'bad-field');
    let g = groups.get(msg.group);
    if (!g) groups.set(msg.group, (g = new Set()));
    g.add(socket.id);
    mine.add(msg.group);
    socket.emit('joined', { group: msg.group, members: [...g] });
  });
  socket.on('relay', (msg) => {
    const g = msg && groups.get(msg.group);
    if (!g || !g.has(socket.id)) return socket.emit('error', 'not-member');
    if (!g.has(msg.to)) return socket.emit('error', 'no-such-peer');
    const out = { type: msg.type, group: msg.group, from: socket.id };
    if (msg.sdp !== undefined) out.sdp = msg.sdp;
    if (msg.candidate !== undefined) out.candidate = msg.candidate;
    if (msg.mid !== undefined) out.mid = msg.mid;
    io.to(msg.to).emit('signal', out);
  });
  socket.on('disconnect', () => {
    for (const name of mine) {
      const g = groups.get(name);
      if (!g) continue;
      g.delete(socket.id);
      if (g.size === 0) groups.delete(name);
      else for (const id of g) io.to(id).emit('group-left', { group: name, peer: socket.id });
    }
  });
});
httpServer.listen(port, '127.0.0.1', () => {
  console.error('listening on ws://127.0.0.1:' + httpServer.address().port);
});
process.on('SIGTERM', () => process.exit(0));
