// stubcas.mjs PORT CHAIN — the least a js-ceramic node on network `local`
// needs from an anchor service to start: GET /api/v0/service-info/supported_chains
// answers {"supportedChains":[CHAIN]}. Anchor requests are refused (503): the
// documents in the test are anchored by ceramicfs, not through this stub.
// (A CAS served by ceramicfs itself is issue 7 item 5, not built yet.)
import http from 'node:http'
const [port, chain] = [Number(process.argv[2] || 8081), process.argv[3] || 'eip155:1337']
http.createServer((req, res) => {
  const json = (code, o) => { res.writeHead(code, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(o)) }
  if (req.method === 'GET' && req.url === '/api/v0/service-info/supported_chains') return json(200, { supportedChains: [chain] })
  req.resume()
  json(503, { error: 'stub CAS: no anchoring here' })
}).listen(port, '127.0.0.1', () => console.log(`stub CAS on 127.0.0.1:${port} (${chain})`))
