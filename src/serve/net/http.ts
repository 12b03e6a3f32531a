/**
 * HTTP listeners (the block page, /metrics and /health) under the governor:
 * the net.Server accepts and the gate admits (ACL, caps, budget) before the
 * HTTP parser sees a byte; only then is the socket handed to the
 * http.Server, which never listens itself. The parser owns the bytes, so
 * the header deadline runs from accept and from the end of each response:
 * a request header trickled one byte at a time dies there (frame_deadline).
 */
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import type { GovernedConnection } from './connection.js';
import type { ListenerGate } from './governor.js';

export function governedHttpServer(gate: ListenerGate, http: HttpServer): Server {
  const governed = new WeakMap<object, GovernedConnection>();
  http.on('request', (req, res) => {
    const connection = governed.get(req.socket);
    if (connection === undefined) return;
    connection.requestStarted();
    res.once('finish', () => connection.responseDone());
  });
  return gate.server((connection) => {
    governed.set(connection.socket, connection);
    http.emit('connection', connection.socket);
  });
}
