/**
 * A POSIX ustar archive of text files under one folder: how an LHAPDF set travels (its folder named
 * after the set, .info and .dat files inside). The REST export serves the set as JSON
 * ({ files: { name: text } }); the browser packs it with this, gzipped by the platform's
 * CompressionStream, so the download unpacks straight into an LHAPDF data path.
 */
const BLOCK = 512;

function field(header: Uint8Array, offset: number, length: number, value: string) {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length > length) throw new Error(`tar: "${value}" does not fit in ${length} bytes`);
  header.set(bytes, offset);
}

/** `n` in octal, zero-padded to `length − 1` digits and NUL-terminated (ustar's numeric fields). */
const octal = (n: number, length: number) => `${n.toString(8).padStart(length - 1, "0")}\0`;

export function tarArchive(folder: string, files: Record<string, string>, mtime = 0): Uint8Array {
  const encoder = new TextEncoder();
  const entries = Object.keys(files)
    .sort()
    .map((name) => ({ name: `${folder}/${name}`, body: encoder.encode(files[name]!) }));
  const size = entries.reduce((n, e) => n + BLOCK + Math.ceil(e.body.length / BLOCK) * BLOCK, 2 * BLOCK);
  const out = new Uint8Array(size);
  let at = 0;
  for (const e of entries) {
    const header = out.subarray(at, at + BLOCK);
    field(header, 0, 100, e.name);
    field(header, 100, 8, octal(0o644, 8));
    field(header, 108, 8, octal(0, 8));
    field(header, 116, 8, octal(0, 8));
    field(header, 124, 12, octal(e.body.length, 12));
    field(header, 136, 12, octal(Math.floor(mtime), 12));
    field(header, 156, 1, "0");
    field(header, 257, 6, "ustar\0");
    field(header, 263, 2, "00");
    // the checksum is computed with its own field read as eight spaces
    header.fill(0x20, 148, 156);
    const sum = header.reduce((s, b) => s + b, 0);
    field(header, 148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
    out.set(e.body, at + BLOCK);
    at += BLOCK + Math.ceil(e.body.length / BLOCK) * BLOCK;
  }
  // the two zero blocks that end an archive are already there (the array starts zeroed)
  return out;
}

/** gzip through the platform's CompressionStream (browsers and Node ≥ 18). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
