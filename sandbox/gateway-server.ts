import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { shardForGuild } from '../src/discord/index.js';
import { GatewayIntents, KNOWN_INTENTS, PRIVILEGED_INTENTS } from './gateway-intents.js';

/** Gateway opcodes. @see https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-opcodes */
export const GatewayOpcodes = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  RequestSoundboardSounds: 31,
} as const;

/** Close codes Discord uses. @see https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes */
export const GatewayCloseCodes = {
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
  InvalidSeq: 4007,
  InvalidShard: 4010,
  InvalidAPIVersion: 4012,
  InvalidIntents: 4013,
  DisallowedIntents: 4014,
} as const;

/** API versions whose gateway the sandbox speaks (v9 and v10 share the JSON gateway). */
const SUPPORTED_VERSIONS = new Set(['9', '10']);

/** A session as the world sees it when building READY and GUILD_CREATE. */
export interface GatewaySessionView {
  readonly id: string;
  readonly intents: number;
  readonly shardId: number;
  readonly shardCount: number;
}

/** What the gateway asks of the rest of the sandbox. */
export interface GatewayWorld {
  /** Whether `token` (as sent in IDENTIFY/RESUME, optionally `Bot `-prefixed) is the bot's. */
  isBotToken(token: string): boolean;
  /** Privileged intents the application has switched on. */
  enabledPrivilegedIntents(): number;
  /** READY's `d`, for this session (its `guilds` are the shard's). */
  readyPayload(session: GatewaySessionView, resumeGatewayUrl: string): Record<string, unknown>;
  /** GUILD_CREATE payloads of the guilds on this session's shard. */
  guildCreatePayloads(session: GatewaySessionView): Record<string, unknown>[];
  /**
   * GUILD_MEMBERS_CHUNK's `d` for an op 8 request, or null when the guild is not the bot's. `userIds` null means
   * "by query" (`query`, `limit`).
   */
  membersChunk(
    guildId: string,
    request: { query: string; limit: number; userIds: readonly string[] | null; nonce: string | null },
  ): Record<string, unknown> | null;
  /** Whether the bot is in the guild: events of guilds it is not in reach nobody. */
  hasGuild(guildId: string): boolean;
  /** Told once per {@link GatewayServer.dispatch} call, whoever receives it. */
  dispatched(type: string): void;
}

/** Where a dispatch goes, and in what shape. */
export interface DispatchRoute {
  /** The guild the event belongs to; null (DMs, global events) routes to shard 0. */
  readonly guildId: string | null;
  /** The intent a session needs to receive it; null when the event is not intent-gated. */
  readonly intent: number | null;
  /** Shapes the payload per session (e.g. the message-content rule); defaults to the shared payload. */
  readonly payloadFor?: (session: GatewaySessionView) => unknown;
}

/** Settings of a {@link GatewayServer}. */
export interface GatewayServerOptions {
  /** HELLO's heartbeat interval, in ms. */
  readonly heartbeatIntervalMs: number;
  /** Dispatches kept per session for replay on RESUME. */
  readonly resumeBufferSize: number;
  /** How long a disconnected session stays resumable, in ms. */
  readonly resumeWindowMs: number;
}

interface DispatchFrame {
  readonly op: 0;
  readonly t: string;
  readonly s: number;
  readonly d: unknown;
}

interface Session extends GatewaySessionView {
  sequence: number;
  socket: WebSocket | null;
  detachedAt: number | null;
  readonly buffer: DispatchFrame[];
}

/** Per-socket state: which session (if any) it carries. */
interface Connection {
  session: Session | null;
}

/**
 * The sandbox's gateway: HELLO/IDENTIFY/READY, heartbeats, RESUME with replay, sequence numbers, intents and
 * shard routing, and the server-initiated reconnect/invalid-session flows, as Discord runs them for a JSON,
 * uncompressed connection.
 * @see https://discord.com/developers/docs/events/gateway
 */
export class GatewayServer {
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #sessions = new Map<string, Session>();
  readonly #connections = new Map<WebSocket, Connection>();

  constructor(
    private readonly world: GatewayWorld,
    private readonly options: GatewayServerOptions,
    private readonly now: () => number,
    private readonly gatewayUrl: () => string,
  ) {
    this.#wss.on('connection', (socket: WebSocket, request: IncomingMessage) =>
      this.#onConnection(socket, request),
    );
  }

  /** Hands an HTTP upgrade on the gateway path to the WebSocket server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#wss.emit('connection', ws, request));
  }

  /** Sessions that are connected now. */
  get connectedSessionCount(): number {
    return [...this.#sessions.values()].filter((session) => session.socket !== null).length;
  }

  /**
   * Sends an event to every session that should get it: same shard as the guild (DMs to shard 0), holding the
   * required intent. Disconnected sessions still get a sequence number and buffer it for RESUME.
   */
  dispatch(type: string, data: unknown, route: DispatchRoute): void {
    const at = this.now();
    if (route.guildId !== null && !this.world.hasGuild(route.guildId)) return;
    this.world.dispatched(type);
    for (const session of [...this.#sessions.values()]) {
      if (
        session.socket === null &&
        session.detachedAt !== null &&
        at - session.detachedAt > this.options.resumeWindowMs
      ) {
        this.#sessions.delete(session.id);
        continue;
      }
      const shard = route.guildId === null ? 0 : shardForGuild(route.guildId, session.shardCount);
      if (shard !== session.shardId) continue;
      if (route.intent !== null && (session.intents & route.intent) === 0) continue;
      this.#send(session, type, route.payloadFor ? route.payloadFor(session) : data);
    }
  }

  /** Closes every socket without a close frame, as a network failure would; sessions stay resumable. */
  dropSessions(): void {
    for (const socket of this.#connections.keys()) socket.terminate();
  }

  /** Sends op 7 Reconnect to every connected session. */
  requestReconnect(): void {
    for (const [socket, connection] of this.#connections) {
      if (connection.session) this.#sendRaw(socket, { op: GatewayOpcodes.Reconnect, d: null });
    }
  }

  /** Sends op 9 Invalid Session; when not resumable the sessions are forgotten, so clients must IDENTIFY. */
  invalidateSessions(resumable: boolean): void {
    for (const [socket, connection] of this.#connections) {
      if (!connection.session) continue;
      if (!resumable) {
        this.#sessions.delete(connection.session.id);
        connection.session.socket = null;
        connection.session = null;
      }
      this.#sendRaw(socket, { op: GatewayOpcodes.InvalidSession, d: resumable });
    }
  }

  /** Closes every socket and forgets every session. */
  async close(): Promise<void> {
    for (const socket of this.#connections.keys()) socket.terminate();
    this.#sessions.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #onConnection(socket: WebSocket, request: IncomingMessage): void {
    const connection: Connection = { session: null };
    this.#connections.set(socket, connection);
    socket.on('close', (code: number) => this.#onClose(socket, code));
    socket.on('error', () => socket.terminate());
    socket.on('message', (raw: RawData, isBinary: boolean) =>
      this.#onMessage(socket, connection, raw, isBinary),
    );
    const query = new URL(request.url ?? '/', 'http://sandbox').searchParams;
    const version = query.get('v');
    if (version !== null && !SUPPORTED_VERSIONS.has(version)) {
      socket.close(GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version');
      return;
    }
    // Only JSON without transport compression: what discord.js sends when zlib-sync is absent.
    if ((query.get('encoding') ?? 'json') !== 'json' || query.has('compress')) {
      socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      return;
    }
    this.#sendRaw(socket, {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: this.options.heartbeatIntervalMs },
    });
  }

  #onClose(socket: WebSocket, code: number): void {
    const connection = this.#connections.get(socket);
    this.#connections.delete(socket);
    const session = connection?.session;
    if (!session || session.socket !== socket) return;
    session.socket = null;
    session.detachedAt = this.now();
    // A client closing with 1000/1001 ends its session for good; any other close keeps it resumable.
    if (code === 1000 || code === 1001) this.#sessions.delete(session.id);
  }

  #onMessage(socket: WebSocket, connection: Connection, raw: RawData, isBinary: boolean): void {
    let payload: { op?: unknown; d?: unknown };
    try {
      if (isBinary) throw new Error('binary frame');
      payload = JSON.parse(raw.toString()) as { op?: unknown; d?: unknown };
    } catch {
      socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      return;
    }
    switch (payload.op) {
      case GatewayOpcodes.Heartbeat:
        this.#sendRaw(socket, { op: GatewayOpcodes.HeartbeatAck });
        return;
      case GatewayOpcodes.Identify:
        this.#identify(socket, connection, payload.d);
        return;
      case GatewayOpcodes.Resume:
        this.#resume(socket, connection, payload.d);
        return;
      case GatewayOpcodes.RequestGuildMembers:
        if (!connection.session) socket.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
        else this.#requestGuildMembers(socket, connection.session, payload.d);
        return;
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestSoundboardSounds:
        if (!connection.session) socket.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
        return;
      default:
        socket.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
    }
  }

  #identify(socket: WebSocket, connection: Connection, data: unknown): void {
    if (connection.session) {
      socket.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
      return;
    }
    const identify = (data ?? {}) as { token?: unknown; intents?: unknown; shard?: unknown };
    if (typeof identify.token !== 'string' || !this.world.isBotToken(identify.token)) {
      socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return;
    }
    const intents = identify.intents;
    if (
      typeof intents !== 'number' ||
      !Number.isInteger(intents) ||
      intents < 0 ||
      (intents & ~KNOWN_INTENTS) !== 0
    ) {
      socket.close(GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
      return;
    }
    if ((intents & PRIVILEGED_INTENTS & ~this.world.enabledPrivilegedIntents()) !== 0) {
      socket.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
      return;
    }
    const shard = identify.shard ?? [0, 1];
    if (
      !Array.isArray(shard) ||
      shard.length !== 2 ||
      !shard.every((value) => Number.isInteger(value)) ||
      shard[1] < 1 ||
      shard[0] < 0 ||
      shard[0] >= shard[1]
    ) {
      socket.close(GatewayCloseCodes.InvalidShard, 'Invalid shard.');
      return;
    }
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      intents,
      shardId: shard[0] as number,
      shardCount: shard[1] as number,
      sequence: 0,
      socket,
      detachedAt: null,
      buffer: [],
    };
    this.#sessions.set(session.id, session);
    connection.session = session;
    this.#send(session, 'READY', this.world.readyPayload(session, this.gatewayUrl()));
    // Discord streams the guilds lazily after READY; discord.js waits for each before `clientReady`.
    if ((intents & GatewayIntents.Guilds) !== 0) {
      for (const guild of this.world.guildCreatePayloads(session)) this.#send(session, 'GUILD_CREATE', guild);
    }
  }

  #resume(socket: WebSocket, connection: Connection, data: unknown): void {
    const resume = (data ?? {}) as { token?: unknown; session_id?: unknown; seq?: unknown };
    if (typeof resume.token !== 'string' || !this.world.isBotToken(resume.token)) {
      socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return;
    }
    const session = typeof resume.session_id === 'string' ? this.#sessions.get(resume.session_id) : undefined;
    const seq = typeof resume.seq === 'number' ? resume.seq : 0;
    if (!session) {
      this.#sendRaw(socket, { op: GatewayOpcodes.InvalidSession, d: false });
      return;
    }
    if (seq > session.sequence) {
      socket.close(GatewayCloseCodes.InvalidSeq, 'Invalid seq.');
      return;
    }
    const missed = session.buffer.filter((frame) => frame.s > seq);
    const oldestKept = session.buffer[0]?.s ?? session.sequence + 1;
    if (seq < session.sequence && oldestKept > seq + 1) {
      // The events between `seq` and what the buffer still holds are gone: this session cannot resume.
      this.#sessions.delete(session.id);
      this.#sendRaw(socket, { op: GatewayOpcodes.InvalidSession, d: false });
      return;
    }
    if (session.socket && session.socket !== socket) {
      const previous = session.socket;
      const previousConnection = this.#connections.get(previous);
      if (previousConnection) previousConnection.session = null;
      previous.terminate();
    }
    if (connection.session && connection.session !== session) connection.session.socket = null;
    session.socket = socket;
    session.detachedAt = null;
    connection.session = session;
    for (const frame of missed) this.#sendRaw(socket, frame);
    this.#send(session, 'RESUMED', {});
  }

  /**
   * Op 8: answers with one GUILD_MEMBERS_CHUNK. Listing members by query needs GUILD_MEMBERS (Discord closes the
   * socket with 4013 otherwise); asking for given user ids does not.
   * @see https://discord.com/developers/docs/events/gateway-events#request-guild-members
   */
  #requestGuildMembers(socket: WebSocket, session: Session, data: unknown): void {
    const request = (data ?? {}) as {
      guild_id?: unknown;
      query?: unknown;
      limit?: unknown;
      user_ids?: unknown;
      nonce?: unknown;
    };
    const userIds =
      typeof request.user_ids === 'string'
        ? [request.user_ids]
        : Array.isArray(request.user_ids)
          ? request.user_ids.filter((id): id is string => typeof id === 'string')
          : null;
    if (userIds === null && (session.intents & GatewayIntents.GuildMembers) === 0) {
      socket.close(GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
      return;
    }
    const guildIds = Array.isArray(request.guild_id) ? request.guild_id : [request.guild_id];
    for (const guildId of guildIds) {
      if (typeof guildId !== 'string') continue;
      const chunk = this.world.membersChunk(guildId, {
        query: typeof request.query === 'string' ? request.query : '',
        limit: typeof request.limit === 'number' ? request.limit : 0,
        userIds,
        nonce: typeof request.nonce === 'string' ? request.nonce : null,
      });
      if (chunk) this.#send(session, 'GUILD_MEMBERS_CHUNK', chunk);
    }
  }

  #send(session: Session, type: string, data: unknown): void {
    session.sequence += 1;
    const frame: DispatchFrame = { op: GatewayOpcodes.Dispatch, t: type, s: session.sequence, d: data };
    session.buffer.push(frame);
    if (session.buffer.length > this.options.resumeBufferSize) session.buffer.shift();
    if (session.socket) this.#sendRaw(session.socket, frame);
  }

  #sendRaw(socket: WebSocket, payload: unknown): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  }
}
