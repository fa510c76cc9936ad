import { encode as encodeTextChunk } from 'png-chunk-text';
import { describe, expect, it } from 'vitest';
import { buildPng } from '../../../sandbox/sample-images.js';
import {
  CardLimits,
  checkCardFile,
  parseCardFile,
  parseCardJson,
  V3_FIELDS_EXTENSION,
} from '../../../src/cards/index.js';
import { UserFacingError } from '../../../src/errors/index.js';
import { FULL_V2_CARD } from '../../support/character-card.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
const v3 = {
  spec: 'chara_card_v3',
  spec_version: '3.0',
  data: { ...FULL_V2_CARD.data, name: 'Seraphina V3', nickname: 'Sera', group_only_greetings: ['Hi all'] },
};

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UserFacingError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('parseCardFile', () => {
  it('reads a V2 JSON card with every field', () => {
    const card = parseCardFile({ filename: 'seraphina.json', bytes: json(FULL_V2_CARD) });
    expect(card.spec).toBe('chara_card_v2');
    expect(card.data).toEqual(FULL_V2_CARD.data);
  });

  it('reads a V3 JSON card, keeping its own fields under extensions', () => {
    const card = parseCardFile({ filename: 'sera.JSON', bytes: json(v3) });
    expect(card.spec).toBe('chara_card_v3');
    expect(card.data.name).toBe('Seraphina V3');
    expect(card.data.extensions[V3_FIELDS_EXTENSION]).toEqual({
      nickname: 'Sera',
      group_only_greetings: ['Hi all'],
    });
  });

  it('fills fields older tools leave out', () => {
    const card = parseCardJson({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'Bare' } });
    expect(card.data).toMatchObject({ description: '', alternate_greetings: [], extensions: {} });
    expect(card.data.character_book).toBeUndefined();
  });

  describe('when the card is a PNG', () => {
    it('reads the `chara` text chunk', () => {
      const png = buildPng(2, 2, [encodeTextChunk('chara', base64(FULL_V2_CARD))]);
      expect(parseCardFile({ filename: 'card.png', bytes: png }).data.name).toBe('Seraphina');
    });

    it('prefers `ccv3` over `chara`', () => {
      const png = buildPng(2, 2, [
        encodeTextChunk('chara', base64(FULL_V2_CARD)),
        encodeTextChunk('ccv3', base64(v3)),
      ]);
      const card = parseCardFile({ filename: 'card.png', bytes: png });
      expect(card.spec).toBe('chara_card_v3');
      expect(card.data.name).toBe('Seraphina V3');
    });
  });

  describe('when the card is refused', () => {
    const png = buildPng(2, 2, [encodeTextChunk('chara', base64(FULL_V2_CARD))]);
    it.each([
      ['a .charx archive', 'sera.charx', Buffer.from('PK'), /CHARX archives \(\.charx\) are not supported/],
      ['another file type', 'sera.txt', Buffer.from('{}'), /`sera\.txt` is not a card/],
      ['invalid JSON', 'sera.json', Buffer.from('{"spec":'), /not valid JSON/],
      ['a truncated PNG', 'sera.png', png.subarray(0, png.length - 20), /PNG is corrupt or truncated/],
      [
        'a PNG with a broken CRC',
        'sera.png',
        Buffer.concat([png.subarray(0, 40), Buffer.from([0]), png.subarray(41)]),
        /corrupt/,
      ],
      ['a plain image', 'sera.png', buildPng(2, 2), /no `ccv3` or `chara` text chunk/],
      [
        'a chunk that is not base64',
        'sera.png',
        buildPng(2, 2, [encodeTextChunk('chara', 'not base64!')]),
        /`chara` chunk is not base64/,
      ],
      ['a V1 card', 'sera.json', json({ name: 'Old', description: 'x' }), /Unsupported card spec `none`/],
      ['an unknown spec', 'sera.json', json({ spec: 'chara_card_v9', data: {} }), /`chara_card_v9`/],
      [
        'a field of the wrong type',
        'sera.json',
        json({ ...FULL_V2_CARD, data: { ...FULL_V2_CARD.data, first_mes: 42 } }),
        /`data\.first_mes` field is invalid: expected string/,
      ],
      [
        'a list item of the wrong type',
        'sera.json',
        json({ ...FULL_V2_CARD, data: { ...FULL_V2_CARD.data, alternate_greetings: ['hi', 3] } }),
        /`data\.alternate_greetings\.1` field is invalid/,
      ],
      [
        'an empty name',
        'sera.json',
        json({ ...FULL_V2_CARD, data: { ...FULL_V2_CARD.data, name: '  ' } }),
        /`data\.name` field is invalid: must not be empty/,
      ],
      [
        'no data',
        'sera.json',
        json({ spec: 'chara_card_v2', spec_version: '2.0' }),
        /`data` field is invalid/,
      ],
    ])('refuses %s, naming it', (_, filename, bytes, message) => {
      expect(refusal(() => parseCardFile({ filename, bytes }))).toMatch(message);
    });

    it('refuses a file over 2 MB before reading it', () => {
      expect(refusal(() => checkCardFile('big.png', CardLimits.fileBytes + 1))).toMatch(
        /2,049 KB; cards may be at most 2,048 KB/,
      );
      expect(checkCardFile('ok.png', CardLimits.fileBytes)).toBe('png');
    });
  });
});
