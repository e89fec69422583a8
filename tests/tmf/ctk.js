// Runs TM Forum's TMF621 conformance test kit (a Postman collection, run by
// newman) against a seam broker, unmodified: the script points the kit's
// TroubleTicketAPI variable at the broker and adds the bearer token at the
// collection level, in memory. Exits 1 if any assertion fails.
//   node ctk.js KIT_DIR BASE_URL TOKEN
const path = require('path');
const newman = require(path.join(__dirname, 'node_modules', 'newman'));
const [kit, base, token] = process.argv.slice(2);
const collection = require(path.resolve(kit, 'CTK-TMF621-TroubleTicket.postman_collection.json'));
const environment = require(path.resolve(kit, 'TMForumR18.0.postman_environment.json'));
collection.auth = { type: 'bearer', bearer: [{ key: 'token', value: token, type: 'string' }] };
for (const v of environment.values)
  if (v.key === 'TroubleTicketAPI') v.value = base;
newman.run({ collection, environment, reporters: ['cli'] }, (err, summary) => {
  if (err) { console.error(err); process.exit(2); }
  const a = summary.run.stats.assertions;
  console.log(`ctk: ${a.total} assertions, ${a.failed} failed`);
  process.exit(a.failed === 0 && summary.run.failures.length === 0 ? 0 : 1);
});
