import { countIf } from './mask';
import type { RedactionCounter } from './types';

/**
 * Addresses inside free text. Label and label-count bounds keep the scan linear on
 * hostile input such as a megabyte of `a.a.a.…`.
 */
const EMAIL =
  /(?<![\w.%+-])[A-Za-z0-9+][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})\.){1,8}[A-Za-z]{2,24}(?![\w-])/g;

/**
 * `jane.doe@acme.example` -> `j***@a***.example`: first character of the local part and
 * of the domain, and the top-level domain, which identify nobody but still tell a
 * reader "a customer address" from "our own mailbox".
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return '***';
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split('.');
  const first = labels[0] ?? '';
  const domain =
    labels.length > 1
      ? `${first.slice(0, 1)}***.${labels[labels.length - 1] ?? ''}`
      : `${first.slice(0, 1)}***`;
  return `${local.slice(0, 1)}***@${domain}`;
}

export function maskEmails(text: string, counter?: RedactionCounter): string {
  if (!text.includes('@')) return text;
  return text.replace(EMAIL, (match) => {
    countIf(counter, true);
    return maskEmail(match);
  });
}
