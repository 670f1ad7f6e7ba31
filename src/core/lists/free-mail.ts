/**
 * Public mailbox services (gmail.com, yandex.ru, aliyun.com, …), where anyone
 * can open an address: from the `email-providers` package, by registrable
 * domain.
 */

import providers from 'email-providers/all.json' with { type: 'json' }

export const FREE_MAIL: ReadonlySet<string> = new Set<string>(providers)
