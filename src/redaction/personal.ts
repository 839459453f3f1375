import { maskEmails } from './email';
import { maskPhoneNumbers } from './phone';
import type { RedactionCounter } from './types';

/**
 * Masks e-mail addresses and phone numbers inside free text. E-mails go first so that
 * `+4917012345678@sms.example` is masked as one address rather than half a number.
 */
export function maskPersonalData(text: string, counter?: RedactionCounter): string {
  return maskPhoneNumbers(maskEmails(text, counter), counter);
}
