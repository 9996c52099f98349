import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

export const root = path.resolve(import.meta.dirname, "../../..");
export const screenshotDir = path.join(root, "docs", "screenshots");

export async function signIn(page: Page, email: string, password: string, org: string) {
  await page.goto("/signin");
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/o/${org}/studies`));
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core in the page; returns the serious and critical violations (WCAG 2 A/AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: an injected inline <script> would be refused by the CSP.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(" "))
          .join(", ")}`,
    );
}

/**
 * Collects the page's Content-Security-Policy refusals (Chromium logs each one to the console): a page
 * whose script, style or request the policy blocked shows up here, so a test can require none.
 */
export function cspViolations(page: Page): string[] {
  const found: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) found.push(`${page.url()}: ${message.text()}`);
  });
  return found;
}

/** How far the page scrolls sideways, and the widest element that sticks out (for the message). */
export async function overflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    let worst = "";
    let worstRight = width;
    for (const el of document.querySelectorAll("body *")) {
      const r = el.getBoundingClientRect();
      // Inside a box that scrolls on its own, sticking out is the point.
      let p = el.parentElement;
      let clipped = false;
      while (p && p !== document.body) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === "auto" || ox === "scroll" || ox === "hidden") {
          clipped = true;
          break;
        }
        p = p.parentElement;
      }
      if (!clipped && r.width > 0 && r.right > worstRight + 1) {
        worstRight = r.right;
        const chain: string[] = [];
        for (let e: Element | null = el; e && e !== document.body && chain.length < 5; e = e.parentElement)
          chain.unshift(
            `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}.${String(e.getAttribute("class") ?? "").slice(0, 30)}`,
          );
        worst = `${chain.join(" > ")} right=${Math.round(r.right)}`;
      }
    }
    return { scroll: document.documentElement.scrollWidth - width, worst, worstRight, width };
  });
}

/** Chart text drawn smaller than `min` CSS px on screen: the font size times the SVG's scale. */
export async function smallChartText(page: Page, min: number) {
  return page.evaluate((min) => {
    const small: string[] = [];
    let checked = 0;
    for (const svg of document.querySelectorAll<SVGSVGElement>("svg[role=img]")) {
      const m = svg.getScreenCTM();
      if (!m || svg.getBoundingClientRect().width === 0) continue;
      for (const t of svg.querySelectorAll<SVGTextElement>("text")) {
        if (!t.textContent?.trim()) continue;
        const px = Number.parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
        checked++;
        if (px < min)
          small.push(`${svg.getAttribute("aria-label")}: "${t.textContent.trim()}" ${px.toFixed(1)}px`);
      }
    }
    return { checked, small: [...new Set(small)].slice(0, 8) };
  }, min);
}
