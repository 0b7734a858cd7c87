/**
 * A small SMTP server speaking just enough of RFC 5321 for nodemailer, on 127.0.0.1 with no TLS
 * (a plain login to it needs plainLocal): a few addresses are refused (nobody@ for good, busy@
 * for now), a login is checked against the credentials given, and faults can be asked for after
 * the final dot of a message (the connection dropped, or no answer at all).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface Delivery {
  from: string;
  to: string[];
  data: string;
  user?: string;
}

/** A small SMTP server speaking just enough of RFC 5321 for nodemailer; a few addresses are refused. */
export class FakeSmtpServer {
  readonly deliveries: Delivery[] = [];
  /** Logins attempted (AUTH commands answered), and whether each was sent before TLS. */
  authAttempts = 0;
  /** Connections opened. */
  connections = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  /**
   * What the server does once it has a whole message (after the final dot): `reply` answers
   * 250 (or the reply given); `drop` files the message, then closes the connection without a word;
   * `silent` files it and never answers (a server too slow for the sender's timeout).
   */
  afterDot: 'reply' | 'drop' | 'silent' = 'reply';
  /** The reply to a whole message when `afterDot` is `reply`. */
  dataReply = '250 2.0.0 Queued';

  constructor(public credentials?: { user: string; pass: string }) {}

  async start(): Promise<number> {
    this.server = createServer((socket) => this.session(socket));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private session(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let buffer = '';
    let inData = false;
    let awaitingAuth = false;
    let user: string | undefined;
    let current: Delivery = { from: '', to: [], data: '' };
    const reply = (line: string): void => {
      socket.write(`${line}\r\n`);
    };
    this.connections += 1;
    const checkAuth = (b64: string): void => {
      this.authAttempts += 1;
      const [, u, p] = Buffer.from(b64, 'base64').toString('utf8').split('\u0000');
      if (this.credentials && u === this.credentials.user && p === this.credentials.pass) {
        user = u;
        reply('235 2.7.0 Authentication successful');
      } else {
        reply('535 5.7.8 Authentication credentials invalid');
      }
    };
    reply('220 fake.millbrook-tc.gov.uk ESMTP');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end + 2).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          inData = false;
          const taken = this.afterDot !== 'reply' || this.dataReply.startsWith('2');
          if (taken) this.deliveries.push({ ...current, ...(user ? { user } : {}) });
          current = { from: '', to: [], data: '' };
          if (this.afterDot === 'drop') {
            socket.destroy();
            return;
          }
          if (this.afterDot === 'silent') return;
          reply(this.dataReply);
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        if (awaitingAuth) {
          awaitingAuth = false;
          checkAuth(line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply(`250-fake.millbrook-tc.gov.uk${this.credentials ? '\r\n250-AUTH PLAIN' : ''}\r\n250 8BITMIME`);
        else if (verb === 'HELO') reply('250 fake.millbrook-tc.gov.uk');
        else if (verb === 'AUTH') {
          const arg = line.split(' ')[2];
          if (arg) checkAuth(arg);
          else {
            awaitingAuth = true;
            reply('334 ');
          }
        } else if (verb === 'MAIL') {
          current.from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          const to = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (to.startsWith('nobody@')) reply('550 5.1.1 <' + to + '>: Recipient address rejected: User unknown');
          else if (to.startsWith('busy@')) reply('451 4.3.0 <' + to + '>: Temporary lookup failure');
          else {
            current.to.push(to);
            reply('250 2.1.5 Ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') {
          current = { from: '', to: [], data: '' };
          reply('250 2.0.0 Ok');
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          socket.end();
        } else reply('502 5.5.2 Command not recognised');
      }
    });
  }
}
