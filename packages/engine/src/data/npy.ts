import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";

/**
 * NumPy's .npy and .npz formats, read with limits checked before anything is allocated or inflated
 * (format: numpy.lib.format, versions 1.0–3.0; .npz: a zip of .npy entries, stored or deflated, as
 * np.savez and np.savez_compressed write them, zip64 sizes included). Only numeric arrays are read,
 * into float64; errors name the array (the entry) and what is wrong.
 */
export interface NpyArray {
  shape: number[];
  data: Float64Array;
}

export interface NpyLimits {
  /** Elements of one array. */
  maxElements: number;
  /** Entries of an .npz. */
  maxEntries: number;
  /** Inflated bytes of all entries of an .npz together. */
  maxInflatedBytes: number;
}

export class NpyError extends Error {
  constructor(
    /** The array (.npz entry without ".npy", or the .npy's own name). */
    readonly array: string,
    readonly detail: string,
  ) {
    super(`${array}: ${detail}`);
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const readers: Record<string, { size: number; read: (v: DataView, at: number, le: boolean) => number }> = {
  f8: { size: 8, read: (v, at, le) => v.getFloat64(at, le) },
  f4: { size: 4, read: (v, at, le) => v.getFloat32(at, le) },
  i8: { size: 8, read: (v, at, le) => Number(v.getBigInt64(at, le)) },
  i4: { size: 4, read: (v, at, le) => v.getInt32(at, le) },
  i2: { size: 2, read: (v, at, le) => v.getInt16(at, le) },
  i1: { size: 1, read: (v, at) => v.getInt8(at) },
  u1: { size: 1, read: (v, at) => v.getUint8(at) },
  b1: { size: 1, read: (v, at) => v.getUint8(at) },
};

/** One .npy file; `name` is what errors call it. */
export function readNpy(bytes: Uint8Array, name: string, limits: Pick<NpyLimits, "maxElements">): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new NpyError(name, "not a .npy file (no \\x93NUMPY magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new NpyError(name, `.npy format version ${major} is not supported`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  if (headerStart + headerLen > bytes.length)
    throw new NpyError(name, "header runs past the end of the file");
  const header = new TextDecoder("latin1").decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([<>|=])([a-z])(\d+)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeText)
    throw new NpyError(name, `unreadable header ${JSON.stringify(header.trim())}`);
  const kind = `${descr[2]}${descr[3]}`;
  const reader = readers[kind];
  if (!reader) throw new NpyError(name, `dtype ${descr[1]}${kind} is not numeric (use float64)`);
  const shape = shapeText[1]!
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0))
    throw new NpyError(name, `bad shape (${shapeText[1]})`);
  if (shape.length > 3) throw new NpyError(name, `${shape.length} dimensions, at most 3`);
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > limits.maxElements)
      throw new NpyError(
        name,
        `shape (${shape.join(", ")}) has more than ${limits.maxElements} elements (the limit)`,
      );
  }
  const dataStart = headerStart + headerLen;
  if (bytes.length - dataStart !== count * reader.size)
    throw new NpyError(
      name,
      `${bytes.length - dataStart} data bytes, shape (${shape.join(", ")}) of ${descr[1]}${kind} needs ${count * reader.size}`,
    );
  const le = descr[1] !== ">";
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, dataStart + i * reader.size, le);
  if (fortran[1] === "True" && shape.length > 1) return { shape, data: toRowMajor(data, shape) };
  return { shape, data };
}

/** Column-major (Fortran order) → row-major, for 2 or 3 dimensions. */
function toRowMajor(src: Float64Array, shape: number[]): Float64Array {
  const [a, b, c = 1] = shape as [number, number, number?];
  const out = new Float64Array(src.length);
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++)
      for (let k = 0; k < c; k++) out[(i * b + j) * c + k] = src[i + a * (j + b * k)]!;
  return out;
}

/** An .npz archive: every entry's array by name ("fk_0.npy" → "fk_0"). */
export function readNpz(bytes: Uint8Array, limits: NpyLimits): Map<string, NpyArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // end of central directory: the last signature within 65,557 bytes of the end (22 + comment)
  let eocd = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 65_557); at--)
    if (view.getUint32(at, true) === 0x06054b50) {
      eocd = at;
      break;
    }
  if (eocd < 0) throw new NpyError("npz", "not a zip archive (no end of central directory)");
  let entries = view.getUint16(eocd + 10, true);
  let cdAt = view.getUint32(eocd + 16, true);
  if (cdAt === 0xffffffff || entries === 0xffff) {
    const locator = eocd - 20;
    if (locator < 0 || view.getUint32(locator, true) !== 0x07064b50)
      throw new NpyError("npz", "zip64 archive without its locator");
    const z64 = Number(view.getBigUint64(locator + 8, true));
    if (z64 + 56 > bytes.length || view.getUint32(z64, true) !== 0x06064b50)
      throw new NpyError("npz", "zip64 end of central directory missing");
    entries = Number(view.getBigUint64(z64 + 32, true));
    cdAt = Number(view.getBigUint64(z64 + 48, true));
  }
  if (entries > limits.maxEntries)
    throw new NpyError("npz", `${entries} entries, at most ${limits.maxEntries}`);
  const listed: { name: string; method: number; compressed: number; size: number; local: number }[] = [];
  let at = cdAt;
  let declared = 0;
  for (let e = 0; e < entries; e++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50)
      throw new NpyError("npz", `central directory entry ${e} is damaged`);
    const method = view.getUint16(at + 10, true);
    let compressed = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLen));
    // zip64 extra field (id 1): the 0xffffffff fields follow, in order size, compressed, offset
    let x = at + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = view.getUint16(x, true);
      const len = view.getUint16(x + 2, true);
      if (id === 1) {
        let p = x + 4;
        const next = () => {
          const v = Number(view.getBigUint64(p, true));
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressed === 0xffffffff) compressed = next();
        if (local === 0xffffffff) local = next();
      }
      x += 4 + len;
    }
    const array = name.replace(/\.npy$/, "");
    if (method !== 0 && method !== 8)
      throw new NpyError(array, `zip compression method ${method} (stored or deflate only)`);
    declared += size;
    if (declared > limits.maxInflatedBytes)
      throw new NpyError(
        array,
        `the archive inflates to more than ${limits.maxInflatedBytes} bytes (the limit)`,
      );
    listed.push({ name: array, method, compressed, size, local });
    at = xEnd + commentLen;
  }
  const out = new Map<string, NpyArray>();
  for (const f of listed) {
    if (f.local + 30 > bytes.length || view.getUint32(f.local, true) !== 0x04034b50)
      throw new NpyError(f.name, "local zip header is damaged");
    const start = f.local + 30 + view.getUint16(f.local + 26, true) + view.getUint16(f.local + 28, true);
    if (start + f.compressed > bytes.length)
      throw new NpyError(f.name, "entry runs past the end of the archive");
    const raw = bytes.subarray(start, start + f.compressed);
    let body: Uint8Array;
    try {
      // never more than the declared size, which the limit above has counted
      body = f.method === 0 ? raw : inflateRawSync(raw, { maxOutputLength: Math.max(1, f.size) });
    } catch (err) {
      throw new NpyError(
        f.name,
        `does not inflate to its declared ${f.size} bytes (${(err as Error).message})`,
      );
    }
    if (body.length !== f.size)
      throw new NpyError(f.name, `inflates to ${body.length} bytes, declared ${f.size}`);
    out.set(f.name, readNpy(body, f.name, limits));
  }
  return out;
}

/**
 * Write one .npy (C order), float64 or float32 (`<f4`, as NNPDF's FK tables are often shipped): for
 * tests, the CLI and the example generator.
 */
export function writeNpy(shape: number[], data: ArrayLike<number>, dtype: "<f8" | "<f4" = "<f8"): Uint8Array {
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = `${header}${" ".repeat(pad % 64)}\n`;
  const size = dtype === "<f4" ? 4 : 8;
  const out = new Uint8Array(10 + header.length + data.length * size);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const at = 10 + header.length;
  if (size === 4) for (let i = 0; i < data.length; i++) view.setFloat32(at + i * 4, data[i]!, true);
  else for (let i = 0; i < data.length; i++) view.setFloat64(at + i * 8, data[i]!, true);
  return out;
}

/**
 * Write .npy entries as an .npz (a zip, deflated as np.savez_compressed does, or stored as np.savez
 * does; no zip64, so under 4 GB): tests and the example generator.
 */
export function writeNpz(
  arrays: Record<string, { shape: number[]; data: ArrayLike<number>; dtype?: "<f8" | "<f4" }>,
  { deflate = true }: { deflate?: boolean } = {},
): Uint8Array {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const body = writeNpy(a.shape, a.data, a.dtype);
    const packed = deflate ? deflateRawSync(body) : body;
    const method = deflate ? 8 : 0;
    const fname = new TextEncoder().encode(`${name}.npy`);
    const crc = crc32(body);
    const local = new Uint8Array(30 + fname.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, packed.length, true);
    lv.setUint32(22, body.length, true);
    lv.setUint16(26, fname.length, true);
    local.set(fname, 30);
    const cd = new Uint8Array(46 + fname.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, packed.length, true);
    cv.setUint32(24, body.length, true);
    cv.setUint16(28, fname.length, true);
    cv.setUint32(42, offset, true);
    cd.set(fname, 46);
    locals.push(local, packed);
    central.push(cd);
    offset += local.length + packed.length;
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, central.length, true);
  ev.setUint16(10, central.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let at = 0;
  for (const part of [...locals, ...central, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
