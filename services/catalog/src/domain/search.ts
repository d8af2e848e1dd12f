/** The most words of one search that reach the query; the rest are ignored. */
export const MAX_SEARCH_TERMS = 12;
/** Longer words are cut to this length; they still match as prefixes. */
export const MAX_TERM_LENGTH = 64;

// A word is a run of letters, digits and combining marks; every other character separates words.
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Splits what a user typed into distinct lowercase words of letters and digits. */
export function searchTerms(search: string): string[] {
  const words = search.normalize('NFC').toLowerCase().match(WORD) ?? [];
  const terms = words.filter((w) => HAS_LETTER_OR_DIGIT.test(w)).map((w) => w.slice(0, MAX_TERM_LENGTH));
  return [...new Set(terms)].slice(0, MAX_SEARCH_TERMS);
}

/**
 * Turns a search into tsquery text where every word must match, each as a prefix:
 * "Espr mach" → "espr:* & mach:*", so results follow the user as they type. Only letters and
 * digits reach the query, so tsquery operators (`|`, `!`, `:`, quotes) cannot be injected; the
 * text is still passed as a bound parameter. Undefined when the search holds no word.
 */
export function prefixTsQuery(search: string | undefined): string | undefined {
  const terms = searchTerms(search ?? '');
  return terms.length ? terms.map((t) => `${t}:*`).join(' & ') : undefined;
}
