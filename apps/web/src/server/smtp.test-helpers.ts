// A tiny SMTP server on localhost for tests of the real SMTP path (nodemailer over a socket): it
// speaks just enough of RFC 5321 for a plain, unauthenticated submission (no STARTTLS offered) and
// keeps each message's envelope and data. Not a mock of nodemailer: the client side is the real one.
import { once } from "node:events";
import { type AddressInfo, createServer, type Socket } from "node:net";

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent (headers and body), dot-stuffing undone. */
  data: string;
}

export interface TestSmtpServer {
  url: string;
  received: ReceivedMail[];
  close(): Promise<void>;
}

/** The text of a quoted-printable body: soft line breaks joined, =XX decoded (UTF-8). */
export function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === "=" ? /^[0-9A-F]{2}$/i.exec(joined.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(Number.parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i] ?? "", "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

function session(socket: Socket, received: ReceivedMail[]) {
  let buffer = "";
  let mail: ReceivedMail | null = null;
  let inData = false;
  const reply = (line: string) => socket.write(`${line}\r\n`);
  reply("220 hens.test ESMTP test server");
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    for (;;) {
      if (inData) {
        const end = buffer.indexOf("\r\n.\r\n");
        if (end < 0) return;
        const data = buffer.slice(0, end + 2).replace(/^\.\./gm, ".");
        buffer = buffer.slice(end + 5);
        inData = false;
        if (mail) received.push({ ...mail, data });
        mail = null;
        reply("250 2.0.0 queued");
        continue;
      }
      const eol = buffer.indexOf("\r\n");
      if (eol < 0) return;
      const line = buffer.slice(0, eol);
      buffer = buffer.slice(eol + 2);
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === "EHLO") reply("250-hens.test\r\n250 8BITMIME");
      else if (verb === "HELO") reply("250 hens.test");
      else if (verb === "MAIL") {
        mail = { from: /<([^>]*)>/.exec(line)?.[1] ?? "", to: [], data: "" };
        reply("250 2.1.0 ok");
      } else if (verb === "RCPT") {
        mail?.to.push(/<([^>]*)>/.exec(line)?.[1] ?? "");
        reply("250 2.1.5 ok");
      } else if (verb === "DATA") {
        inData = true;
        reply("354 end data with <CR><LF>.<CR><LF>");
      } else if (verb === "RSET" || verb === "NOOP") reply("250 ok");
      else if (verb === "QUIT") {
        reply("221 bye");
        socket.end();
        return;
      } else reply("502 5.5.2 not implemented");
    }
  });
}

/** Listens on 127.0.0.1 on a free port; `url` is what HENS_SMTP_URL would hold. */
export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    session(socket, received);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
