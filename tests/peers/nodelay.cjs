// nodelay.cjs — preloaded into the js-ipfs daemons by peers.sh when
// PEERS_NODELAY=1: turns Nagle's algorithm off (TCP_NODELAY) on every TCP
// socket the daemon makes or accepts. @libp2p/tcp 6.2.2 (js-ipfs 0.66.1)
// leaves it on, so a bitswap exchange (want, block: a few small writes on
// new libp2p streams) stalls on delayed ACKs; kubo (Go) sets TCP_NODELAY by
// default. Measured by tests/bench/bench_sync.sh: one block/get of a block
// held by the other daemon ~300 ms with Nagle, ~75-120 ms without, on the
// same loaded 2-core VM.
'use strict'
const net = require('net')

const connect = net.Socket.prototype.connect
net.Socket.prototype.connect = function (...args) {
  this.setNoDelay(true)
  return connect.apply(this, args)
}
const emit = net.Server.prototype.emit
net.Server.prototype.emit = function (event, socket, ...rest) {
  if (event === 'connection' && socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
  return emit.call(this, event, socket, ...rest)
}
