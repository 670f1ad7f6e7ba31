/**
 * Attacker-written text on our pages (a damaged destination, link text,
 * wrapped addresses) may carry format characters: a bidi override (U+202E)
 * reverses the rest of the line, so "the link goes to evil.example" after
 * it reads backwards, and zero-width characters hide inside look-alikes.
 * Each is shown as its code point instead, so the reader sees it is there.
 */
export function showHidden(text: string): string {
  return text.replace(/\p{Cf}/gu, (char) => `[U+${hex(char)}]`)
}

function hex(char: string): string {
  return (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')
}
