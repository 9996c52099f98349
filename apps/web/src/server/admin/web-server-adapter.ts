// bull-board's server side over Web Request/Response, so that an App Router route handler can serve
// it: bull-board's own adapters target Express, Fastify, Koa, Hono and the like. It implements
// IServerAdapter (what createBullBoard configures) and answers one request at a time:
//   <base>/api/...     bull-board's JSON API (its route table, its handlers)
//   <base>/static/...  the UI's built assets from @bull-board/ui/dist/static
//   <base>/, /queue/:queueName, ...   the UI's HTML entry (index.ejs, rendered here)
import { readFile } from "node:fs/promises";
import path from "node:path";
import type {
  AppControllerRoute,
  AppViewRoute,
  BullBoardQueues,
  ControllerHandlerReturnType,
  HTTPMethod,
  IServerAdapter,
  UIConfig,
} from "@bull-board/api/typings/app";

interface Matcher {
  method: HTTPMethod;
  pattern: RegExp;
  keys: string[];
}

/** Express-style paths ("/api/queues/:queueName/:jobId") as anchored regular expressions. */
function compile(method: HTTPMethod, route: string): Matcher {
  const keys: string[] = [];
  const source = route
    .split("/")
    .map((segment) => {
      if (segment.startsWith(":")) {
        keys.push(segment.slice(1));
        return "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { method, pattern: new RegExp(`^${source}/?$`), keys };
}

function matchersOf(method: HTTPMethod | HTTPMethod[], route: string | string[]): Matcher[] {
  const methods = Array.isArray(method) ? method : [method];
  const routes = Array.isArray(route) ? route : [route];
  return methods.flatMap((m) => routes.map((r) => compile(m, r)));
}

/** undefined: not this route; null: this route but a parameter is not valid percent-encoding. */
function match(
  matchers: Matcher[],
  method: string,
  subPath: string,
): Record<string, string> | null | undefined {
  for (const m of matchers) {
    if (m.method !== method) continue;
    const found = m.pattern.exec(subPath);
    if (!found) continue;
    const params: Record<string, string> = {};
    try {
      m.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(found[i + 1] ?? "");
      });
    } catch {
      return null;
    }
    return params;
  }
  return undefined;
}

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".map": "application/json; charset=utf-8",
};

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&#34;",
  "'": "&#39;",
};

/**
 * The subset of EJS that @bull-board/ui's index.ejs uses: `<%= name %>` (HTML-escaped) and
 * `<%- name %>` (raw; bull-board escapes `<` and `>` in the JSON it passes this way). Any other tag
 * is an error rather than silently dropped, so a UI release that needs more fails loudly.
 */
export function renderTemplate(template: string, params: Record<string, string | undefined>): string {
  return template.replace(/<%([=-])\s*([A-Za-z_$][\w$]*)\s*%>|<%[\s\S]*?%>/g, (tag, kind, name) => {
    if (!kind) throw new Error(`bull-board UI template: unsupported tag ${tag}`);
    const value = params[name as string] ?? "";
    return kind === "-" ? value : value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
  });
}

export class WebServerAdapter implements IServerAdapter {
  private queues: BullBoardQueues = new Map();
  private viewsPath = "";
  private staticRoute = "/static";
  private staticPath = "";
  private entryRoute: AppViewRoute | undefined;
  private entryMatchers: Matcher[] = [];
  private errorHandler: (error: Error) => ControllerHandlerReturnType = (error) => ({
    status: 500,
    body: { error: "Internal server error", message: error.message },
  });
  private apiRoutes: { matchers: Matcher[]; route: AppControllerRoute }[] = [];
  private uiConfig: UIConfig = {};
  private template: Promise<string> | undefined;

  /** basePath: where the route handler is mounted, without a trailing slash (e.g. "/admin/bull"). */
  constructor(readonly basePath: string) {}

  setQueues(queues: BullBoardQueues): IServerAdapter {
    this.queues = queues;
    return this;
  }

  setViewsPath(viewPath: string): IServerAdapter {
    this.viewsPath = viewPath;
    this.template = undefined;
    return this;
  }

  setStaticPath(staticsRoute: string, staticsPath: string): IServerAdapter {
    this.staticRoute = staticsRoute.replace(/\/$/, "");
    this.staticPath = staticsPath;
    return this;
  }

  setEntryRoute(route: AppViewRoute): IServerAdapter {
    this.entryRoute = route;
    this.entryMatchers = matchersOf(route.method, route.route);
    return this;
  }

  setErrorHandler(handler: (error: Error) => ControllerHandlerReturnType): IServerAdapter {
    this.errorHandler = handler;
    return this;
  }

  setApiRoutes(routes: AppControllerRoute[]): IServerAdapter {
    this.apiRoutes = routes.map((route) => ({ route, matchers: matchersOf(route.method, route.route) }));
    return this;
  }

  setUIConfig(config: UIConfig): IServerAdapter {
    this.uiConfig = config;
    return this;
  }

  /** Answers a request under basePath; a path bull-board does not know is a 404. */
  async fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== this.basePath && !url.pathname.startsWith(`${this.basePath}/`)) {
      return notFound();
    }
    const subPath = url.pathname.slice(this.basePath.length) || "/";
    const method = (req.method === "HEAD" ? "get" : req.method.toLowerCase()) as HTTPMethod;

    if (subPath.startsWith("/api/")) return this.api(req, method, subPath, url);
    if (method === "get" && subPath.startsWith(`${this.staticRoute}/`)) {
      return this.static(subPath.slice(this.staticRoute.length + 1));
    }
    if (this.entryRoute && match(this.entryMatchers, method, subPath) !== undefined) return this.entry();
    return notFound();
  }

  private async api(req: Request, method: HTTPMethod, subPath: string, url: URL): Promise<Response> {
    for (const { route, matchers } of this.apiRoutes) {
      const params = match(matchers, method, subPath);
      if (params === undefined) continue;
      if (params === null) return json({ error: "Bad request", message: "malformed path" }, 400);
      const query: Record<string, string> = {};
      for (const [key, value] of url.searchParams) query[key] ??= value;
      const headers: Record<string, string> = {};
      req.headers.forEach((value, key) => {
        headers[key] = value;
      });
      let body: Record<string, unknown> = {};
      if (method !== "get" && (req.headers.get("content-type") ?? "").includes("application/json")) {
        const text = await req.text();
        if (text) {
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            return json({ error: "Bad request", message: "body is not JSON" }, 400);
          }
        }
      }
      let result: ControllerHandlerReturnType;
      try {
        result = await route.handler({
          queues: this.queues,
          uiConfig: this.uiConfig,
          query,
          params,
          body,
          headers,
        });
      } catch (error) {
        result = this.errorHandler(error instanceof Error ? error : new Error(String(error)));
      }
      const status = result.status ?? 200;
      if (status === 204) return new Response(null, { status, headers: { "cache-control": "no-store" } });
      return json(result.body, status);
    }
    return json({ error: "Not found" }, 404);
  }

  private async static(file: string): Promise<Response> {
    const root = path.resolve(this.staticPath);
    let decoded: string;
    try {
      decoded = decodeURIComponent(file);
    } catch {
      return notFound();
    }
    const target = path.resolve(root, decoded);
    // Nothing outside the UI's static folder, whatever the path says.
    if (!target.startsWith(`${root}${path.sep}`)) return notFound();
    const type = CONTENT_TYPES[path.extname(target).toLowerCase()];
    if (!type) return notFound();
    try {
      const content = await readFile(target);
      return new Response(new Uint8Array(content), {
        headers: {
          "content-type": type,
          // Behind the admin check, so never in a shared cache. Built file names carry a content hash.
          "cache-control": "private, max-age=3600",
          "x-content-type-options": "nosniff",
        },
      });
    } catch {
      return notFound();
    }
  }

  private async entry(): Promise<Response> {
    if (!this.entryRoute) return notFound();
    const { name, params } = this.entryRoute.handler({ basePath: this.basePath, uiConfig: this.uiConfig });
    this.template ??= readFile(path.join(this.viewsPath, name), "utf8");
    let html: string;
    try {
      html = renderTemplate(await this.template, params);
    } catch (error) {
      this.template = undefined;
      throw error;
    }
    return new Response(html, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  }
}

function json(body: unknown, status: number): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store" } });
}

function notFound(): Response {
  return new Response("Not found", { status: 404, headers: { "cache-control": "no-store" } });
}
