// multipart/form-data (RFC 7578) split into its parts, for bodies already read whole within their cap
// (readBodyCapped). Only the boundary search touches every byte, and that is Buffer#indexOf (native),
// so a 100 MB upload is split in milliseconds on the event loop. The parts are views into the body,
// not copies: handed to a worker thread, the buffer they share is copied once.
// (undici's Request#formData would do, but parses in JavaScript and keeps every part as a Blob.)

export interface FormPart {
  name: string;
  /** The part's filename, when it was sent as a file. */
  filename: string | null;
  data: Uint8Array;
}

export class MultipartError extends Error {}

/** The boundary of a multipart/form-data Content-Type, or null when it is not one. */
export function multipartBoundary(contentType: string | null): string | null {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2] ?? null) : null;
}

const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

/** Parameters of a Content-Disposition header: name, filename (quoted or bare). */
function dispositionParam(header: string, key: string): string | null {
  const m = new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"|;\\s*${key}=([^;\\s]+)`, "i").exec(header);
  if (!m) return null;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? null);
}

/** The parts of a multipart/form-data body; MultipartError naming what is malformed. */
export function parseMultipart(body: Uint8Array, boundary: string, maxParts = 10_000): FormPart[] {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  let at = buf.indexOf(delimiter);
  if (at < 0) throw new MultipartError(`no part starts with the boundary "${boundary}"`);
  at += delimiter.length;
  const parts: FormPart[] = [];
  for (;;) {
    if (buf[at] === 0x2d && buf[at + 1] === 0x2d) return parts; // "--": the closing delimiter
    if (buf.indexOf(CRLF, at) !== at)
      throw new MultipartError(`part ${parts.length}: no line break after the boundary`);
    const headersEnd = buf.indexOf(HEADER_END, at);
    if (headersEnd < 0) throw new MultipartError(`part ${parts.length}: its headers never end`);
    const headers = buf.toString("latin1", at + 2, headersEnd);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers);
    const name = disposition ? dispositionParam(disposition[1]!, "name") : null;
    if (name === null) throw new MultipartError(`part ${parts.length}: no Content-Disposition name`);
    const start = headersEnd + HEADER_END.length;
    const end = buf.indexOf(next, start);
    if (end < 0) throw new MultipartError(`part "${name}" is not closed by the boundary`);
    if (parts.length >= maxParts) throw new MultipartError(`more than ${maxParts} parts`);
    parts.push({
      name: Buffer.from(name, "latin1").toString("utf8"),
      filename: dispositionParam(disposition![1]!, "filename"),
      data: body.subarray(start, end),
    });
    at = end + next.length;
  }
}
