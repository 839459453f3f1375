import {
  countryCodeLength,
  looksLikePhoneNumber,
  maskEmail,
  maskPersonalData,
  maskPhone,
} from '../../src/redaction';
import type { RedactionCounter } from '../../src/redaction';

describe('maskEmail', () => {
  it.each([
    ['jane.doe@acme.example', 'j***@a***.example'],
    ['x@mail.acme.co.uk', 'x***@m***.uk'],
    ['root@localhost', 'r***@l***'],
  ])('%s -> %s', (email, expected) => {
    expect(maskEmail(email)).toBe(expected);
  });
});

describe('maskPhone', () => {
  it.each([
    ['+49 170 1234567', '+49 *** *****67'],
    ['+1 (555) 123-4567', '+1 (***) ***-**67'],
    ['+4917012345678', '+49*********78'],
    ['+353 1 234 5678', '+353 * *** **78'],
    ['0170 1234567', '**** *****67'],
    ['(030) 123456', '(***) ****56'],
    ['+49 12', '+** **'],
  ])('%s -> %s', (phone, expected) => {
    expect(maskPhone(phone)).toBe(expected);
  });

  it('knows one-, two- and three-digit country codes', () => {
    expect([countryCodeLength('15551234567'), countryCodeLength('4917'), countryCodeLength('35312')]).toEqual(
      [1, 2, 3],
    );
  });
});

describe('maskPersonalData', () => {
  it('masks e-mails and phone numbers inside text', () => {
    const counter: RedactionCounter = { count: 0 };
    expect(maskPersonalData('Call +49 170 1234567 or mail jane.doe@acme.example.', counter)).toBe(
      'Call +49 *** *****67 or mail j***@a***.example.',
    );
    expect(counter.count).toBe(2);
  });

  it.each([
    ['+4917012345678', '+49*********78'],
    ['to=+4917012345678&x', 'to=+49*********78&x'],
    ['(555) 123-4567', '(***) ***-**67'],
    ['555.123.4567', '***.***.**67'],
    ['0170-1234567', '****-*****67'],
    ['SMS to +4917012345678@sms.example', 'SMS to +***@s***.example'],
    ['caller <jane@acme.example>', 'caller <j***@a***.example>'],
  ])('masks %j', (input, expected) => {
    expect(maskPersonalData(input)).toBe(expected);
  });

  it.each([
    'on 2026-11-28 at 12:30:45',
    '2026-11-28T12:30:45.123Z',
    '2026-11-28 12:30',
    '28.11.2026 10:30',
    "period: '2026-11'",
    'job r123 and id 123456789',
    'uuid 3f9a8c7d-2b1e-4f60-a9c8-b7d6e5f4a3b2',
    'uuid 00000000-0000-0000-0000-000000000000',
    'timestamp 1764288000 and 1764288000123',
    'amounts 100 200 300 400 500',
    'ratio 0.12345678',
    'version 10.0.0.123',
    'tracking 12345678901234567890',
    'order ORD-0012345678',
    '+49 170 1234567abc',
  ])('leaves %j alone', (text) => {
    expect(maskPersonalData(text)).toBe(text);
  });
});

describe('looksLikePhoneNumber', () => {
  it('needs 8 to 15 digits', () => {
    expect(looksLikePhoneNumber('+1234567')).toBe(false);
    expect(looksLikePhoneNumber('+12345678')).toBe(true);
    expect(looksLikePhoneNumber('+123456789012345')).toBe(true);
    expect(looksLikePhoneNumber('+1234567890123456')).toBe(false);
  });
});
