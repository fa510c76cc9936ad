import { describe, expect, it } from 'vitest';
import { buildErrorsTree, DiscordErrors, DiscordHttpError } from '../../../sandbox/discord-errors.js';
import {
  computeWouldPing,
  validateBulkDelete,
  validateMessagePayload,
  validateWebhookName,
} from '../../../sandbox/discord-rules.js';
import { buildSnowflake } from '../../../src/discord/index.js';

const webhook = { isWebhook: true } as const;
const bot = { isWebhook: false } as const;

const maxLength = (max: number) => ({
  code: 'BASE_TYPE_MAX_LENGTH',
  message: `Must be ${max} or fewer in length.`,
});
const badLength = { code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 80 in length.' };
const contains = (word: string) => ({
  code: 'USERNAME_INVALID_CONTAINS',
  message: `Username cannot contain "${word}"`,
});

function formBody(error: DiscordHttpError | null) {
  expect(error).toBeInstanceOf(DiscordHttpError);
  expect(error?.status).toBe(400);
  expect(error?.body.code).toBe(50035);
  expect(error?.body.message).toBe('Invalid Form Body');
  return error?.body.errors;
}

describe('DiscordErrors', () => {
  it.each([
    ['unknownWebhook', 404, 10015, 'Unknown Webhook'],
    ['unknownChannel', 404, 10003, 'Unknown Channel'],
    ['unknownMessage', 404, 10008, 'Unknown Message'],
    ['unknownInteraction', 404, 10062, 'Unknown interaction'],
    ['missingPermissions', 403, 50013, 'Missing Permissions'],
    ['missingAccess', 403, 50001, 'Missing Access'],
    ['maxWebhooks', 400, 30007, 'Maximum number of webhooks reached (15)'],
    ['interactionAlreadyAcknowledged', 400, 40060, 'Interaction has already been acknowledged.'],
    ['unauthorized', 401, 0, '401: Unauthorized'],
    ['notFound', 404, 0, '404: Not Found'],
    ['cannotSendEmptyMessage', 400, 50006, 'Cannot send an empty message'],
    ['methodNotAllowed', 405, 0, '405: Method Not Allowed'],
  ] as const)('builds %s as Discord answers it', (factory, status, code, message) => {
    const error = DiscordErrors[factory]();
    expect(error.status).toBe(status);
    expect(error.body).toEqual({ code, message });
    expect(error.name).toBe(`DiscordHttpError[${code}]`);
  });

  it('carries the errors tree on 50035', () => {
    const tree = buildErrorsTree(['content'], maxLength(2000));
    expect(DiscordErrors.invalidFormBody(tree).body).toEqual({
      code: 50035,
      message: 'Invalid Form Body',
      errors: { content: { _errors: [maxLength(2000)] } },
    });
  });
});

describe('buildErrorsTree', () => {
  it('keys array indexes as strings under nested objects', () => {
    expect(buildErrorsTree(['embeds', 0, 'title'], maxLength(256))).toEqual({
      embeds: { '0': { title: { _errors: [maxLength(256)] } } },
    });
  });
});

describe('validateMessagePayload', () => {
  describe('when the payload is within every limit', () => {
    it.each([
      ['2000-char content', { content: 'x'.repeat(2000) }, bot],
      ['2000 astral code points', { content: '😀'.repeat(2000) }, bot],
      ['an embed only', { embeds: [{ title: 't' }] }, bot],
      ['an attachment only', { attachments: [{ id: '0', filename: 'a.png' }] }, bot],
      ['a sticker only', { sticker_ids: ['123'] }, bot],
      ['a poll only', { poll: { question: { text: 'q' } } }, bot],
      ['an 80-char username', { content: 'hi', username: 'a'.repeat(80) }, webhook],
      ['a 1-char username', { content: 'hi', username: 'a' }, webhook],
      ['an https avatar', { content: 'hi', avatar_url: 'https://cdn.example/a.png' }, webhook],
      ['flags', { content: 'hi', flags: 4096 }, bot],
      [
        '10 embeds at 6000 characters',
        { embeds: Array.from({ length: 10 }, () => ({ description: 'd'.repeat(600) })) },
        bot,
      ],
      [
        'an embed at every per-field limit',
        {
          embeds: [
            {
              title: 't'.repeat(256),
              description: 'd'.repeat(1000),
              footer: { text: 'f'.repeat(2048) },
              author: { name: 'a'.repeat(256) },
              fields: Array.from({ length: 25 }, () => ({ name: 'n', value: 'v' })),
            },
          ],
        },
        bot,
      ],
      [
        'five buttons of every kind',
        {
          components: [
            {
              type: 1,
              components: [
                { type: 2, style: 1, custom_id: 'c'.repeat(100), label: 'l'.repeat(80) },
                { type: 2, style: 2, custom_id: 'b' },
                { type: 2, style: 3, custom_id: 'c' },
                { type: 2, style: 4, custom_id: 'd' },
                { type: 2, style: 5, url: 'https://example.com', label: 'go' },
              ],
            },
          ],
        },
        bot,
      ],
      [
        'allowed mentions with ids',
        { content: 'hi', allowed_mentions: { parse: ['everyone'], users: ['1'], roles: ['2'] } },
        bot,
      ],
      [
        'parse users with an empty users list',
        { content: 'hi', allowed_mentions: { parse: ['users'], users: [] } },
        bot,
      ],
      [
        '100 allowed user ids',
        { content: 'hi', allowed_mentions: { users: Array.from({ length: 100 }, (_, i) => String(i)) } },
        bot,
      ],
      ['an empty edit', {}, { isWebhook: false, isEdit: true }],
    ])('accepts %s', (_name, payload, ctx) => {
      expect(validateMessagePayload(payload, ctx)).toBeNull();
    });
  });

  describe('when a field breaks a rule', () => {
    it.each([
      ['2001-char content', { content: 'x'.repeat(2001) }, bot, { content: { _errors: [maxLength(2000)] } }],
      [
        'numeric content',
        { content: 42 },
        bot,
        {
          content: {
            _errors: [{ code: 'BASE_TYPE_STRING', message: 'Could not interpret "42" as string.' }],
          },
        },
      ],
      [
        'an 81-char username',
        { content: 'hi', username: 'a'.repeat(81) },
        webhook,
        { username: { _errors: [badLength] } },
      ],
      ['an empty username', { content: 'hi', username: '' }, webhook, { username: { _errors: [badLength] } }],
      [
        'a whitespace username',
        { content: 'hi', username: '   ' },
        webhook,
        { username: { _errors: [badLength] } },
      ],
      [
        '"Discord" in a username',
        { content: 'hi', username: 'My Discord Bot' },
        webhook,
        { username: { _errors: [contains('discord')] } },
      ],
      [
        '"CLYDE" in a username',
        { content: 'hi', username: 'xCLYDEx' },
        webhook,
        { username: { _errors: [contains('clyde')] } },
      ],
      [
        'an ftp avatar',
        { content: 'hi', avatar_url: 'ftp://example.com/a.png' },
        webhook,
        {
          avatar_url: {
            _errors: [
              {
                code: 'URL_TYPE_INVALID_SCHEME',
                message: `Scheme "ftp" is not supported. Scheme must be one of ('http', 'https').`,
              },
            ],
          },
        },
      ],
      [
        'a malformed avatar',
        { content: 'hi', avatar_url: 'not a url' },
        webhook,
        { avatar_url: { _errors: [{ code: 'URL_TYPE_INVALID_URL', message: 'Not a well formed URL.' }] } },
      ],
      [
        '11 embeds',
        { embeds: Array.from({ length: 11 }, () => ({ title: 't' })) },
        bot,
        { embeds: { _errors: [maxLength(10)] } },
      ],
      [
        'a 257-char title',
        { embeds: [{ title: 't'.repeat(257) }] },
        bot,
        { embeds: { '0': { title: { _errors: [maxLength(256)] } } } },
      ],
      [
        'a 4097-char description',
        { embeds: [{ description: 'd'.repeat(4097) }] },
        bot,
        { embeds: { '0': { description: { _errors: [maxLength(4096)] } } } },
      ],
      [
        '26 fields',
        { embeds: [{ fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' })) }] },
        bot,
        { embeds: { '0': { fields: { _errors: [maxLength(25)] } } } },
      ],
      [
        'a 257-char field name and 1025-char value',
        { embeds: [{ fields: [{ name: 'n'.repeat(257), value: 'v'.repeat(1025) }] }] },
        bot,
        {
          embeds: {
            '0': {
              fields: { '0': { name: { _errors: [maxLength(256)] }, value: { _errors: [maxLength(1024)] } } },
            },
          },
        },
      ],
      [
        'a field without a value',
        { embeds: [{ fields: [{ name: 'n' }] }] },
        bot,
        {
          embeds: {
            '0': {
              fields: {
                '0': {
                  value: { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] },
                },
              },
            },
          },
        },
      ],
      [
        'a 2049-char footer',
        { embeds: [{ footer: { text: 'f'.repeat(2049) } }] },
        bot,
        { embeds: { '0': { footer: { text: { _errors: [maxLength(2048)] } } } } },
      ],
      [
        'a 257-char author name',
        { embeds: [{ author: { name: 'a'.repeat(257) } }] },
        bot,
        { embeds: { '0': { author: { name: { _errors: [maxLength(256)] } } } } },
      ],
      [
        '6001 embed characters',
        { embeds: [{ description: 'd'.repeat(4000) }, { description: 'd'.repeat(2000), title: 't' }] },
        bot,
        {
          embeds: {
            _errors: [
              { code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' },
            ],
          },
        },
      ],
      [
        'six buttons in a row',
        {
          components: [
            {
              type: 1,
              components: Array.from({ length: 6 }, (_, i) => ({ type: 2, style: 1, custom_id: `b${i}` })),
            },
          ],
        },
        bot,
        {
          components: {
            '0': {
              components: {
                _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 5 in length.' }],
              },
            },
          },
        },
      ],
      [
        'a duplicated custom id',
        {
          components: [
            { type: 1, components: [{ type: 2, style: 1, custom_id: 'same' }] },
            { type: 1, components: [{ type: 2, style: 2, custom_id: 'same' }] },
          ],
        },
        bot,
        {
          components: {
            '1': {
              components: {
                '0': {
                  custom_id: {
                    _errors: [
                      {
                        code: 'COMPONENT_CUSTOM_ID_DUPLICATED',
                        message: 'Component custom id cannot be duplicated',
                      },
                    ],
                  },
                },
              },
            },
          },
        },
      ],
      [
        'a 101-char custom id and 81-char label',
        {
          components: [
            {
              type: 1,
              components: [{ type: 2, style: 1, custom_id: 'c'.repeat(101), label: 'l'.repeat(81) }],
            },
          ],
        },
        bot,
        {
          components: {
            '0': {
              components: {
                '0': { label: { _errors: [maxLength(80)] }, custom_id: { _errors: [maxLength(100)] } },
              },
            },
          },
        },
      ],
      [
        'button style 7',
        { components: [{ type: 1, components: [{ type: 2, style: 7, custom_id: 'x' }] }] },
        bot,
        {
          components: {
            '0': {
              components: {
                '0': {
                  style: {
                    _errors: [
                      { code: 'BASE_TYPE_CHOICES', message: 'Value must be one of (1, 2, 3, 4, 5, 6).' },
                    ],
                  },
                },
              },
            },
          },
        },
      ],
      [
        'a url on a primary button',
        {
          components: [
            { type: 1, components: [{ type: 2, style: 1, custom_id: 'x', url: 'https://example.com' }] },
          ],
        },
        bot,
        {
          components: {
            '0': {
              components: {
                '0': {
                  _errors: [
                    {
                      code: 'BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE',
                      message: 'A custom id and url cannot both be specified',
                    },
                  ],
                },
              },
            },
          },
        },
      ],
      [
        'a link button without url',
        { components: [{ type: 1, components: [{ type: 2, style: 5, label: 'go' }] }] },
        bot,
        {
          components: {
            '0': {
              components: {
                '0': {
                  url: { _errors: [{ code: 'BUTTON_COMPONENT_URL_REQUIRED', message: 'A url is required' }] },
                },
              },
            },
          },
        },
      ],
      [
        'parse users with a users list',
        { content: 'hi', allowed_mentions: { parse: ['users'], users: ['1'] } },
        bot,
        {
          allowed_mentions: {
            _errors: [
              {
                code: 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
                message: 'parse:["users"] and users: [ids...] are mutually exclusive.',
              },
            ],
          },
        },
      ],
      [
        'an unknown parse type',
        { content: 'hi', allowed_mentions: { parse: ['channels'] } },
        bot,
        {
          allowed_mentions: {
            parse: {
              '0': {
                _errors: [
                  {
                    code: 'BASE_TYPE_CHOICES',
                    message: "Value must be one of ('roles', 'users', 'everyone').",
                  },
                ],
              },
            },
          },
        },
      ],
      [
        '101 allowed role ids',
        { content: 'hi', allowed_mentions: { roles: Array.from({ length: 101 }, (_, i) => String(i)) } },
        bot,
        { allowed_mentions: { roles: { _errors: [maxLength(100)] } } },
      ],
      [
        'a non-snowflake user id',
        { content: 'hi', allowed_mentions: { users: ['abc'] } },
        bot,
        {
          allowed_mentions: {
            users: {
              '0': { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value "abc" is not snowflake.' }] },
            },
          },
        },
      ],
      [
        'string flags',
        { content: 'hi', flags: 'loud' },
        bot,
        { flags: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Value "loud" is not int.' }] } },
      ],
    ])('refuses %s with 50035', (_name, payload, ctx, errors) => {
      expect(formBody(validateMessagePayload(payload, ctx))).toEqual(errors);
    });

    it('reports every bad field in one tree', () => {
      const errors = formBody(
        validateMessagePayload(
          { content: 'x'.repeat(2001), username: 'discord', embeds: [{ title: 't'.repeat(257) }] },
          webhook,
        ),
      );
      expect(errors).toEqual({
        content: { _errors: [maxLength(2000)] },
        username: { _errors: [contains('discord')] },
        embeds: { '0': { title: { _errors: [maxLength(256)] } } },
      });
    });

    it('reports both reserved words in one name', () => {
      expect(
        formBody(validateMessagePayload({ content: 'hi', username: 'Clyde of Discord' }, webhook)),
      ).toEqual({
        username: { _errors: [contains('clyde'), contains('discord')] },
      });
    });

    it('refuses a body that is not an object', () => {
      expect(formBody(validateMessagePayload([], bot))).toEqual({
        _errors: [{ code: 'MODEL_TYPE_CONVERT', message: 'Only dictionaries may be used in a ModelType' }],
      });
    });
  });

  describe('when the message would carry nothing', () => {
    it.each([
      ['no fields', {}],
      ['empty content', { content: '' }],
      ['whitespace content', { content: '  \n ' }],
      ['empty arrays', { content: '', embeds: [], components: [], attachments: [], sticker_ids: [] }],
    ])('refuses %s with 50006', (_name, payload) => {
      const error = validateMessagePayload(payload, webhook);
      expect(error?.status).toBe(400);
      expect(error?.body).toEqual({ code: 50006, message: 'Cannot send an empty message' });
    });
  });

  describe('when username fields come to a non-webhook route', () => {
    it('ignores them as Discord does', () => {
      expect(validateMessagePayload({ content: 'hi', username: 'discord' }, bot)).toBeNull();
    });
  });
});

describe('validateWebhookName', () => {
  it.each([['a'], ['a'.repeat(80)], ['Chorus Relay']])('accepts %j', (name) => {
    expect(validateWebhookName(name)).toBeNull();
  });

  it.each([
    ['an 81-char name', 'a'.repeat(81), [badLength]],
    ['an empty name', '', [badLength]],
    ['a whitespace name', '  ', [badLength]],
    ['"Discord"', 'Discord Relay', [contains('discord')]],
    ['"CLYDE"', 'theCLYDEbot', [contains('clyde')]],
    ['a missing name', undefined, [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }]],
    ['a numeric name', 7, [{ code: 'BASE_TYPE_STRING', message: 'Could not interpret "7" as string.' }]],
  ])('refuses %s', (_name, name, nameErrors) => {
    expect(formBody(validateWebhookName(name))).toEqual({ name: { _errors: nameErrors } });
  });
});

describe('computeWouldPing', () => {
  const roles = new Set(['900']);
  const content = '@everyone hi <@100> <@!101> <@&900> <@&901> <@100>';

  describe('when allowed_mentions is absent', () => {
    it('pings users, mentionable roles and everyone for a regular message', () => {
      expect(
        computeWouldPing(content, undefined, {
          isWebhook: false,
          mentionableRoleIds: roles,
          canMentionEveryone: true,
        }),
      ).toEqual({
        users: ['100', '101'],
        roles: ['900', '901'],
        everyone: true,
      });
    });

    it('pings only mentionable roles and not everyone without MENTION_EVERYONE', () => {
      expect(computeWouldPing(content, undefined, { isWebhook: false, mentionableRoleIds: roles })).toEqual({
        users: ['100', '101'],
        roles: ['900'],
        everyone: false,
      });
    });

    it('pings users only for a webhook', () => {
      expect(computeWouldPing(content, undefined, { isWebhook: true, mentionableRoleIds: roles })).toEqual({
        users: ['100', '101'],
        roles: [],
        everyone: false,
      });
    });

    it('pings the replied-to author', () => {
      expect(
        computeWouldPing('hi', undefined, {
          isWebhook: false,
          mentionableRoleIds: roles,
          repliedUserId: '555',
        }).users,
      ).toEqual(['555']);
    });
  });

  describe('when allowed_mentions is given', () => {
    it.each([
      ['parse nothing', { parse: [] }, { users: [], roles: [], everyone: false }],
      [
        'parse everything',
        { parse: ['users', 'roles', 'everyone'] },
        { users: ['100', '101'], roles: ['900', '901'], everyone: true },
      ],
      ['parse everyone only', { parse: ['everyone'] }, { users: [], roles: [], everyone: true }],
      ['explicit users', { users: ['101', '999'] }, { users: ['101'], roles: [], everyone: false }],
      ['explicit roles', { roles: ['901'] }, { users: [], roles: ['901'], everyone: false }],
      [
        'parse roles with explicit users',
        { parse: ['roles'], users: ['100'] },
        { users: ['100'], roles: ['900', '901'], everyone: false },
      ],
    ])('%s', (_name, allowed, expected) => {
      expect(computeWouldPing(content, allowed, { isWebhook: true, mentionableRoleIds: roles })).toEqual(
        expected,
      );
    });

    it('pings the replied-to author only with replied_user', () => {
      const ctx = { isWebhook: false, mentionableRoleIds: roles, repliedUserId: '555' };
      expect(computeWouldPing('hi', { parse: [] }, ctx).users).toEqual([]);
      expect(computeWouldPing('hi', { parse: [], replied_user: true }, ctx).users).toEqual(['555']);
    });
  });

  describe('when mentions sit inside code', () => {
    it.each([
      ['inline code', 'see `<@100> @everyone <@&900>`'],
      ['a code block', '```\n<@100> @everyone <@&900>\n```'],
      ['double-backtick code', '``<@100> ` @everyone <@&900>``'],
    ])('ignores them in %s', (_name, text) => {
      expect(
        computeWouldPing(text, undefined, {
          isWebhook: false,
          mentionableRoleIds: roles,
          canMentionEveryone: true,
        }),
      ).toEqual({
        users: [],
        roles: [],
        everyone: false,
      });
    });

    it('still pings mentions outside the code', () => {
      expect(
        computeWouldPing('`<@100>` <@101>', undefined, { isWebhook: true, mentionableRoleIds: roles }).users,
      ).toEqual(['101']);
    });
  });

  it('treats @here like @everyone', () => {
    expect(
      computeWouldPing('@here', { parse: ['everyone'] }, { isWebhook: true, mentionableRoleIds: roles })
        .everyone,
    ).toBe(true);
  });
});

describe('validateBulkDelete', () => {
  const NOW = 1_750_000_000_000;
  const DAY = 24 * 3600 * 1000;
  const id = (ageMs: number, low = 0n) => buildSnowflake(NOW - ageMs, low);
  const formError = (path: Array<string | number>, code: string, message: string) =>
    DiscordErrors.invalidFormBody(buildErrorsTree(path, { code, message }));

  it('accepts 2 to 100 distinct ids under 14 days old', () => {
    const ids = Array.from({ length: 100 }, (_, index) => id(DAY, BigInt(index)));
    expect(validateBulkDelete({ messages: ids }, NOW)).toEqual({ error: null, ids });
    expect(validateBulkDelete({ messages: [id(0, 1n), id(14 * DAY - 1)] }, NOW).error).toBeNull();
  });

  it.each<[string, unknown, DiscordHttpError]>([
    ['no list', {}, formError(['messages'], 'BASE_TYPE_REQUIRED', 'This field is required')],
    [
      'a list of one',
      { messages: ['1'] },
      formError(['messages'], 'BASE_TYPE_MIN_LENGTH', 'Must be 2 or more in length.'),
    ],
    [
      'a list of 101',
      { messages: Array.from({ length: 101 }, (_, index) => String(index + 1)) },
      formError(['messages'], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.'),
    ],
    [
      'a duplicate',
      { messages: ['5', '6', '5'] },
      formError(['messages', 2], 'SET_TYPE_ALREADY_CONTAINS_VALUE', 'The set already contains this value'),
    ],
    [
      'a non-snowflake',
      { messages: ['5', 'x'] },
      formError(['messages', 1], 'NUMBER_TYPE_COERCE', 'Value "x" is not snowflake.'),
    ],
    [
      'not a list',
      { messages: 'x' },
      formError(['messages'], 'LIST_TYPE_CONVERT', 'Only iterables may be used in a ListType'),
    ],
  ])('refuses %s with 50035', (_case, body, expected) => {
    const { error } = validateBulkDelete(body, NOW);
    expect(error?.status).toBe(400);
    expect(error?.body).toEqual(expected.body);
  });

  it('refuses an id older than 14 days with 50034', () => {
    const { error } = validateBulkDelete({ messages: [id(DAY), id(14 * DAY + 1)] }, NOW);
    expect(error?.body).toEqual(DiscordErrors.bulkDeleteTooOld().body);
  });
});
