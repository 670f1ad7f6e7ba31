/**
 * The yardstick for `bench:resolver`: a bare Hono app on @hono/node-server
 * that answers every request with a 302 and does nothing else.
 */

import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const port = Number(process.argv[2])
const app = new Hono()
app.get('*', (c) => c.redirect('https://news.example/today', 302))

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => {
  process.stdout.write('ready\n')
})
