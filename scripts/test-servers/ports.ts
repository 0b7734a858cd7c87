/**
 * Free TCP ports on 127.0.0.1, chosen by the kernel. All listeners are held open until every
 * port is known, so one call never returns the same port twice.
 */
import { createServer, type Server } from 'node:net';

function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('Could not read the port the kernel assigned.'));
        return;
      }
      resolve({ server, port: address.port });
    });
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const { server, port } = await listenOnFreePort();
      held.push(server);
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  return ports;
}
