import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as a {@link RecordingServer} received it, body read. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly socket: Socket;
}

/** A node:http server on 127.0.0.1 that records what it receives, for HTTP client tests. */
export interface RecordingServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Connections accepted so far. */
  readonly sockets: Socket[];
  close(): Promise<void>;
}

/** Starts a {@link RecordingServer} that hands each request, body read, to `handle` to answer. */
export async function startRecordingServer(
  handle: (request: ReceivedRequest, response: ServerResponse) => void,
): Promise<RecordingServer> {
  const requests: ReceivedRequest[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: ReceivedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        socket: request.socket,
      };
      requests.push(received);
      handle(received, response);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.push(socket);
    // The client may drop a connection the server is still writing to; that is the point of some tests.
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sockets,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
