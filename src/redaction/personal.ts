import { maskCardNumbers } from './cards';
import { maskEmails } from './email';
import { maskPhoneNumbers } from './phone';
import type { RedactionCounter } from './types';

/**
 * Masks e-mail addresses, payment card numbers and phone numbers inside free text.
 * E-mails go first so that `+4917012345678@sms.example` is masked as one address
 * rather than half a number; cards before phones, so a card keeps its last four
 * digits rather than a phone's last two.
 */
export function maskPersonalData(text: string, counter?: RedactionCounter): string {
  return maskPhoneNumbers(maskCardNumbers(maskEmails(text, counter), counter), counter);
}
