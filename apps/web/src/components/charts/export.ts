// Chart export for talks and papers: the chart's own <svg>, made self-contained (computed styles
// inlined, so Tailwind classes and currentColor survive outside the page), as SVG or as a 2x PNG.

const SVG_NS = "http://www.w3.org/2000/svg";

// The presentation properties the charts use; inlining only these keeps the file small and readable.
const INLINED = [
  "fill",
  "fill-opacity",
  "stroke",
  "stroke-width",
  "stroke-opacity",
  "stroke-dasharray",
  "opacity",
  "font-family",
  "font-size",
  "font-weight",
  "text-anchor",
  "dominant-baseline",
  "visibility",
  "display",
] as const;

/** The first non-transparent background behind the chart, so dark-theme text stays readable. */
function backgroundOf(el: Element): string {
  for (let e: Element | null = el; e; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (bg && bg !== "transparent" && !/rgba\(.*,\s*0\)$/.test(bg)) return bg;
  }
  return "#ffffff";
}

/** The chart as a standalone SVG document: size from its viewBox, styles inline, a background. */
export function serialiseChart(svg: SVGSVGElement): { text: string; width: number; height: number } {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const from = [svg, ...Array.from(svg.querySelectorAll("*"))];
  const to = [clone, ...Array.from(clone.querySelectorAll("*"))];
  from.forEach((el, i) => {
    const target = to[i] as SVGElement | undefined;
    if (!target) return;
    const computed = getComputedStyle(el);
    // CSSOM writes, not a style attribute string: the page's CSP governs attributes, not these.
    for (const p of INLINED) {
      const v = computed.getPropertyValue(p);
      if (v) target.style.setProperty(p, v);
    }
  });
  const vb = svg.viewBox.baseVal;
  const width = vb && vb.width > 0 ? vb.width : svg.clientWidth;
  const height = vb && vb.height > 0 ? vb.height : svg.clientHeight;
  clone.setAttribute("xmlns", SVG_NS);
  clone.setAttribute("width", String(width));
  clone.setAttribute("height", String(height));
  clone.removeAttribute("class");
  const bg = document.createElementNS(SVG_NS, "rect");
  bg.setAttribute("x", String(vb?.x ?? 0));
  bg.setAttribute("y", String(vb?.y ?? 0));
  bg.setAttribute("width", String(width));
  bg.setAttribute("height", String(height));
  bg.setAttribute("fill", backgroundOf(svg));
  clone.insertBefore(bg, clone.firstChild);
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
  return { text, width, height };
}

/** The SVG drawn onto a canvas at `scale` times its size (2x: sharp on slides and in print). */
export async function rasteriseChart(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const { text, width, height } = serialiseChart(svg);
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    img.decoding = "sync";
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error("the chart could not be drawn as an image"));
      img.src = url;
    });
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("this browser has no 2D canvas");
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png"),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A file name from the chart's label: "χ² against epochs" → "χ²-against-epochs". */
export function chartFileName(label: string, ext: "svg" | "png"): string {
  const stem = label
    .normalize("NFC")
    .replace(/[^\p{L}\p{N}²]+/gu, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  return `${stem || "chart"}.${ext}`;
}

export function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has handed the blob to the download; free it after the browser has read it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
