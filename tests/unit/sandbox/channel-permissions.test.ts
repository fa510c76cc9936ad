import { describe, expect, it } from 'vitest';
import {
  ALL_PERMISSIONS,
  computeBasePermissions,
  computeChannelPermissions,
  hasPermissions,
  PermissionFlags,
  type PermissionOverwrite,
  type PermissionSubject,
} from '../../../sandbox/channel-permissions.js';

const { ViewChannel, SendMessages, ManageWebhooks, Administrator } = PermissionFlags;
const GUILD = '100';
const ROLE_A = '201';
const ROLE_B = '202';
const USER = '300';

function subject(overrides: Partial<PermissionSubject> = {}): PermissionSubject {
  return {
    guildId: GUILD,
    ownerId: '999',
    userId: USER,
    roleIds: [ROLE_A, ROLE_B],
    rolePermissions: new Map([
      [GUILD, ViewChannel | SendMessages],
      [ROLE_A, ManageWebhooks],
      [ROLE_B, 0n],
    ]),
    ...overrides,
  };
}

const role = (id: string, allow: bigint, deny: bigint): PermissionOverwrite => ({ id, type: 0, allow, deny });
const member = (id: string, allow: bigint, deny: bigint): PermissionOverwrite => ({
  id,
  type: 1,
  allow,
  deny,
});

describe('computeBasePermissions', () => {
  describe('when the member holds roles', () => {
    it('ORs @everyone with every role', () => {
      expect(computeBasePermissions(subject())).toBe(ViewChannel | SendMessages | ManageWebhooks);
    });
  });

  describe('when the member is the owner or an administrator', () => {
    it.each([
      ['owner', subject({ ownerId: USER })],
      [
        'administrator',
        subject({
          rolePermissions: new Map([
            [GUILD, 0n],
            [ROLE_A, Administrator],
          ]),
        }),
      ],
    ])('grants everything to the %s', (_name, input) => {
      expect(computeBasePermissions(input)).toBe(ALL_PERMISSIONS);
    });
  });
});

describe('computeChannelPermissions', () => {
  describe('when overwrites apply', () => {
    it.each([
      ['@everyone deny', [role(GUILD, 0n, SendMessages)], ViewChannel | ManageWebhooks],
      [
        'role allow beats @everyone deny',
        [role(GUILD, 0n, SendMessages), role(ROLE_B, SendMessages, 0n)],
        ViewChannel | SendMessages | ManageWebhooks,
      ],
      [
        'role allow beats another role deny',
        [role(ROLE_A, 0n, SendMessages), role(ROLE_B, SendMessages, 0n)],
        ViewChannel | SendMessages | ManageWebhooks,
      ],
      [
        'member deny beats role allow',
        [role(ROLE_B, SendMessages, 0n), member(USER, 0n, SendMessages | ManageWebhooks)],
        ViewChannel,
      ],
      [
        'member allow beats role deny',
        [role(ROLE_A, 0n, SendMessages), member(USER, SendMessages, 0n)],
        ViewChannel | SendMessages | ManageWebhooks,
      ],
      [
        'overwrites of other roles',
        [role('404', 0n, SendMessages)],
        ViewChannel | SendMessages | ManageWebhooks,
      ],
    ])('applies %s', (_name, overwrites, expected) => {
      expect(computeChannelPermissions(subject(), overwrites)).toBe(expected);
    });
  });

  describe('when View Channel is denied', () => {
    it('leaves nothing', () => {
      expect(computeChannelPermissions(subject(), [member(USER, 0n, ViewChannel)])).toBe(0n);
    });
  });

  describe('when the member is an administrator', () => {
    it('ignores overwrites', () => {
      const admin = subject({
        rolePermissions: new Map([
          [GUILD, 0n],
          [ROLE_A, Administrator],
        ]),
      });
      expect(computeChannelPermissions(admin, [member(USER, 0n, ViewChannel | SendMessages)])).toBe(
        ALL_PERMISSIONS,
      );
    });
  });
});

describe('hasPermissions', () => {
  it('needs every required bit', () => {
    expect(hasPermissions(ViewChannel | SendMessages, ViewChannel)).toBe(true);
    expect(hasPermissions(ViewChannel, ViewChannel | SendMessages)).toBe(false);
  });
});
