import { describe, expect, it } from 'vitest';
import { countUtf8Bytes, estimateTokens } from '../../../src/context/token-estimate.js';

/**
 * Token counts measured with gpt-tokenizer 4.0.0: the larger of cl100k_base (GPT-4) and o200k_base (GPT-4o)
 * for each text (docs/context.md, "The token estimate").
 */
const MEASURED: ReadonlyArray<readonly [string, string, number]> = [
  [
    'English chat',
    'Sam: ok but seriously, can someone explain how the grandfather paradox works? I read the wiki page twice and I still do not get it.',
    29,
  ],
  [
    'code',
    'const history = await this.deps.conversations.fetchHistory(job.authorId, job.channelId, job.personalityId, batch);',
    26,
  ],
  [
    'Discord mentions and ids',
    '<@123456789012345678> <#987654321098765432> <:blobcat:112233445566778899> see 1187654321234567890',
    38,
  ],
  [
    'attachment URL',
    '[attachment: image.png https://cdn.discordapp.com/attachments/1187123456789/1199876543210/image.png?ex=65a1b2c3&is=6590d4e5&hm=3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b&]',
    118,
  ],
  ['random base64', 'k8J2mQx9Zp4TqW7vN3bR6yL1cF5hD0sG8aE2uI9oP3nM7jK4xB6zV1wC5tY8rU2eQ', 65],
  ['key-smash', 'asdfghjkl;;; ksjdhfkjsdhf qwzxkjvbnmrtplk AAAAAAAAAAAAA', 24],
  ['emoji', '😀😂🤣❤️👍🎉🔥✨🙏😭 lol 😅😅😅 👨‍👩‍👧 🫠🫡', 51],
  [
    'Japanese',
    'ウェブ・オブ・トラストを構築するためにGnuPGは、どの鍵が究極的に信頼できるかを知る必要があります。',
    53,
  ],
  ['Chinese', '请输入电子邮件地址(可选项，但强烈推荐使用)。如果您允许生成子钥，请回答“yes”。', 40],
  ['Russian', 'Если Вы столкнулись с этой проблемой, обратитесь к системному администратору.', 36],
  [
    'Korean',
    '안녕하세요, 오늘 날씨가 정말 좋네요. 우리 같이 공원에 산책하러 갈까요? 저는 커피를 마시고 싶어요.',
    63,
  ],
  ['Hindi', 'नमस्ते, आप कैसे हैं? मैं ठीक हूँ, धन्यवाद। क्या आप आज शाम को फिल्म देखने चलेंगे?', 83],
  ['Arabic', 'مرحبا، كيف حالك اليوم؟ أنا بخير، شكرا لك. هل تريد أن نذهب إلى المقهى معًا؟', 57],
  ['Thai', 'สวัสดีครับ วันนี้อากาศดีมาก คุณจะไปไหนครับ ผมอยากไปกินข้าวที่ร้านใหม่', 63],
  ['zalgo', 'Z̴̡̢͓̈́a̷̢̰͐l̵̬̏g̸̱̈́o̷͓͝ Z̴̡̢͓̈́a̷̢̰͐l̵̬̏g̸̱̈́o̷͓͝', 86],
  [
    'markdown table',
    '|          | worker CPU per reply           | 1.08 ms   | 0.99 ms  | 1.09×       |             |        |',
    34,
  ],
];

describe('estimateTokens', () => {
  describe('when compared with OpenAI’s tokenizers', () => {
    it.each(MEASURED)('%s: at least the measured count, at most the UTF-8 bytes', (_kind, text, measured) => {
      const estimate = estimateTokens(text);
      expect(estimate).toBeGreaterThanOrEqual(measured);
      expect(estimate).toBeLessThanOrEqual(countUtf8Bytes(text));
    });

    it('overestimates English chat by less than half', () => {
      const [, text, measured] = MEASURED[0]!;
      expect(estimateTokens(text)).toBeLessThan(measured * 1.5);
    });
  });

  describe('when the text is empty or short', () => {
    it.each([
      ['', 0],
      ['a', 1],
      ['hi', 2],
      ['😀', 4],
    ])('%j → %i', (text, expected) => {
      expect(estimateTokens(text)).toBe(expected);
    });
  });

  describe('when the text is long', () => {
    it('grows in proportion', () => {
      const sentence = 'The quick brown fox jumps over the lazy dog. ';
      const one = estimateTokens(sentence);
      expect(estimateTokens(sentence.repeat(100))).toBeGreaterThanOrEqual(one * 90);
      expect(estimateTokens(sentence.repeat(100))).toBeLessThanOrEqual(one * 100);
    });
  });
});

describe('countUtf8Bytes', () => {
  it.each([
    ['abc', 3],
    ['é', 2],
    ['語', 3],
    ['😀', 4],
  ])('%j is %i bytes', (text, bytes) => {
    expect(countUtf8Bytes(text)).toBe(bytes);
  });
});
