/**
 * HTTP listeners (the block page, the console and API, /metrics and
 * /health) under the governor: the net.Server accepts and the gate admits
 * (ACL, caps, budget) before the HTTP parser sees a byte; only then is the
 * socket handed to the http.Server, which never listens itself. The parser
 * owns the bytes, so the header deadline runs from accept and from the end
 * of each response: a request header trickled one byte at a time dies
 * there (frame_deadline). A TLS handshake is counted against the gate's
 * handshake budget and must end within the first-byte deadline
 * (handshake_deadline); the header deadline runs from its end.
 *
 * With `secureContext`, each admitted socket is wrapped in a server-side
 * TLSSocket made with the context current at accept (so a context swapped
 * on SIGHUP serves every new connection) and the plain http.Server parses
 * what it decrypts. (https.Server would wrap the socket itself, and a
 * request could no longer be traced to its governed connection.)
 */
import type { Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { GovernedConnection } from './connection.js';
import type { ListenerGate } from './governor.js';

export function governedHttpServer(gate: ListenerGate, http: HttpServer, secureContext?: () => SecureContext): Server {
  const governed = new WeakMap<object, GovernedConnection>();
  http.on('request', (req, res) => {
    const connection = governed.get(req.socket);
    if (connection === undefined) return;
    connection.requestStarted();
    res.once('finish', () => connection.responseDone());
  });
  return gate.server((connection) => {
    if (secureContext === undefined) {
      governed.set(connection.socket, connection);
      http.emit('connection', connection.socket);
      return;
    }
    // Counted against the handshake budget before any TLS work; a refused one is cut here.
    if (!gate.handshake(connection)) return;
    const secure = new TLSSocket(connection.socket, { isServer: true, secureContext: secureContext() });
    secure.once('secure', () => connection.handshakeDone());
    // A failed handshake (TLS 1.1, plain HTTP, a bad certificate on the client's side) ends the connection, nothing else.
    secure.on('error', () => secure.destroy());
    governed.set(secure, connection);
    http.emit('connection', secure);
  });
}
