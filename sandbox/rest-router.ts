/** An uploaded file of a multipart request (`files[n]`). */
export interface UploadedFile {
  /** The form field, e.g. `files[0]`. */
  readonly field: string;
  readonly filename: string;
  readonly contentType: string | null;
  readonly data: Buffer;
}

/** How a route authenticates: a bot token is required, or the URL carries its own token. */
export type RouteAuth = 'bot' | 'none';

/** A parsed request, as a route handler sees it. */
export interface RestRequest {
  readonly method: string;
  /** Path after `/api/v10`, e.g. `/channels/1/messages`. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON body (or multipart `payload_json`); undefined when there was none. */
  readonly body: unknown;
  readonly files: readonly UploadedFile[];
  /** A valid bot token came with the request. */
  readonly authenticated: boolean;
}

/** What a handler answers; errors are thrown as `DiscordHttpError`. */
export interface RestResponse {
  readonly status: number;
  readonly body?: unknown;
}

export type RouteHandler = (request: RestRequest) => RestResponse | Promise<RestResponse>;

/** A route: method, template (`/channels/:channelId/messages`), auth, and its handler. */
export interface RouteDefinition {
  readonly method: string;
  readonly template: string;
  readonly auth: RouteAuth;
  readonly handler: RouteHandler;
  /** The channel a message-writing route writes to, for the per-channel write limit. */
  readonly channelFor?: (params: Readonly<Record<string, string>>) => string | undefined;
}

/** A matched route with its parameters. */
export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly params: Record<string, string>;
  /** `METHOD /template/:with/:params` as the rate limiter and stats name it. */
  readonly name: string;
  /** The major parameter Discord buckets this route by (channel, guild, webhook id), or 'global'. */
  readonly majorId: string;
}

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
}

/** Discord's major parameters, in the order Discord picks them. */
const MAJOR_PARAMS = ['webhookId', 'channelId', 'guildId'] as const;

/** Matches `METHOD path` against route templates; literal segments win over parameters by registration order. */
export class RestRouter {
  readonly #routes: CompiledRoute[] = [];

  add(route: RouteDefinition): void {
    const keys: string[] = [];
    const source = route.template
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.#routes.push({ route, pattern: new RegExp(`^${source}$`), keys });
  }

  /** The route for `method path`; `'method-not-allowed'` when only the path matches; null when neither. */
  match(method: string, path: string): RouteMatch | 'method-not-allowed' | null {
    let pathMatched = false;
    for (const compiled of this.#routes) {
      const match = compiled.pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (compiled.route.method !== method) continue;
      const params: Record<string, string> = {};
      compiled.keys.forEach((key, index) => {
        params[key] = decodeURIComponent(match[index + 1] ?? '');
      });
      const major = MAJOR_PARAMS.find((key) => params[key] !== undefined);
      // A webhook's id and token together are its major parameter (interaction webhooks share the app's id).
      const majorId =
        params['webhookId'] !== undefined && params['token'] !== undefined
          ? `${params['webhookId']}/${params['token']}`
          : major
            ? (params[major] ?? 'global')
            : 'global';
      return {
        route: compiled.route,
        params,
        name: `${method} ${compiled.route.template.replace(/:(\w+)/g, (_, key: string) => (key === 'token' ? ':token' : ':id'))}`,
        majorId,
      };
    }
    return pathMatched ? 'method-not-allowed' : null;
  }
}
