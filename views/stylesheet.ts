/** Served from our own origin so the pages' Content-Security-Policy can forbid inline styles. */
export const STYLESHEET = `
:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0; padding: 2rem 1rem; }
main { max-width: 42rem; margin: 0 auto; }
footer { max-width: 42rem; margin: 2rem auto 0; font-size: .85rem; opacity: .7; }
h1 { font-size: 1.5rem; }
.tone-warn h1 { color: #b45309; }
.tone-block h1 { color: #b91c1c; }
.destination code { display: block; padding: .75rem; border-radius: .5rem;
  background: rgba(127,127,127,.12); overflow-wrap: anywhere; word-break: break-all; font-size: 1rem; }
.destination mark { background: #fde68a; color: #111; font-weight: 700; padding: 0 .1rem; }
.destination del { color: #b91c1c; }
.muted { opacity: .7; }
.note { font-size: .95rem; }
.reasons small { opacity: .7; }
.reasons .evidence { font-size: .9rem; opacity: .85; overflow-wrap: anywhere; }
a.continue { display: inline-block; margin-top: 1rem; }
form.continue { margin-top: 1rem; }
form.continue button { font: inherit; padding: .5rem 1rem; border-radius: .4rem; cursor: pointer; }
.reasons li { margin-bottom: .5rem; }
.reasons .detail { opacity: .85; }
.chain code { overflow-wrap: anywhere; word-break: break-all; }
`
