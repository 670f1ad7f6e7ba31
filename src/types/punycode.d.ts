// punycode ships no types; we use one function of its ES module build.
declare module 'punycode/punycode.es6.js' {
  export function toUnicode(domain: string): string
}
