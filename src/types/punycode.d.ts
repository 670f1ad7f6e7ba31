// punycode ships no types; we use two functions of its ES module build.
declare module 'punycode/punycode.es6.js' {
  export function toUnicode(domain: string): string
  export function toASCII(domain: string): string
}
