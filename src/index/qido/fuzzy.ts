/**
 * Person-name folding for QIDO-RS fuzzy matching (PS3.18 8.3.4.2 `fuzzymatching=true`; PS3.4
 * C.2.2.2.1 leaves the PN "fuzzy" semantics to the implementation, so this is our documented rule):
 *
 * - case-insensitive and accent-insensitive: Unicode NFKD, combining marks dropped, upper case;
 * - every name part is a word: the `^` component separators, `=` group separators, spaces,
 *   commas and other punctuation all split words, so `Doe^John`, `John Doe` and `DOE, JOHN`
 *   are the same words;
 * - order tolerant: a query matches when EVERY query word is the START of SOME word of the
 *   name (`joh do` matches `Doe^John`; `jo` matches `Doe^Johnson`).
 *
 * The stored form is the words joined by single spaces with a space before and after
 * (' DOE JOHN '), so "some word starts with W" is the parameterised `LIKE '% W%'`.
 */

/** The words of a name or query: folded, in order. */
export function fuzzyWords(value: string): string[] {
  return value
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase()
    .split(/[^\p{L}\p{N}*?]+/u)
    .filter((w) => w !== '');
}

/** The column value stored for a person name (null stays null). */
export function fuzzyName(value: string | null): string | null {
  if (value === null) return null;
  const words = fuzzyWords(value).map((w) => w.replace(/[*?]/g, ''));
  return ` ${words.filter((w) => w !== '').join(' ')} `;
}
