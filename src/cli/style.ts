import { escapeControlChars } from '../redaction';
import type { ProbeStatus } from '../probes/types';
import type { Severity } from '../runbook/diagnosis';

export type Paint = (text: string) => string;

/** Plain ANSI SGR colours, or none at all: output for a pipe never carries escape codes. */
export interface Style {
  readonly colour: boolean;
  readonly bold: Paint;
  readonly dim: Paint;
  readonly red: Paint;
  readonly yellow: Paint;
  readonly green: Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;
const none: Paint = (text) => text;

export function createStyle(colour: boolean): Style {
  return colour
    ? { colour, bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39) }
    : { colour, bold: none, dim: none, red: none, yellow: none, green: none };
}

export function severityPaint(style: Style, severity: Severity): Paint {
  return severity === 'critical' ? style.red : severity === 'warning' ? style.yellow : style.green;
}

export function probePaint(style: Style, status: ProbeStatus): Paint {
  return status === 'ok'
    ? style.green
    : status === 'unknown'
      ? style.dim
      : status === 'down'
        ? style.red
        : style.yellow;
}

export const severityMark: Record<Severity, string> = { critical: '✗', warning: '!', ok: '✓' };
export const probeMark: Record<ProbeStatus, string> = { ok: '✓', degraded: '!', down: '✗', unknown: '?' };

/**
 * Text from outside (reasons, hosts, payloads) on one line, with control and bidi
 * characters shown as `\uXXXX`: a job's payload must not drive the operator's terminal.
 */
export function oneLine(text: string): string {
  return escapeControlChars(text.replace(/[\t\n\r]+/g, ' ').trim());
}

/** The same for multi-line text (payload previews): tabs and line feeds stay. */
export function safeBlock(text: string): string {
  return escapeControlChars(text.replace(/\r\n?/g, '\n'));
}
