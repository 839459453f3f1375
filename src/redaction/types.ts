/** What a payload preview shows. `text` holds no secret or personal datum the rules recognise. */
export interface RenderedPayload {
  /** `empty` covers blank text and a stored `null`: there is nothing to preview. */
  readonly kind: 'json' | 'not-json' | 'empty';
  readonly text: string;
  /** How many replacements were made: secret values, masked fragments, cut-off nesting. */
  readonly redactions: number;
}

export interface RedactionOptions {
  /** Keys that hold secrets in this deployment but match none of the built-in names. */
  readonly extraSecretKeys?: readonly string[];
}

/**
 * A mutable tally threaded through the maskers, so a preview can say how much it hid
 * without each masker returning a pair.
 */
export interface RedactionCounter {
  count: number;
}
