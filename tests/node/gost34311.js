// GOST 34.311-95 digests by gost89 (dstucrypt's JavaScript implementation, DKE No.1 S-box):
// a second implementation our own is compared against. Reads files named on the command line
// and prints one hex digest per line; with --bench N, hashes the first file N times and prints
// the best MB/s on the last line.
"use strict";
const fs = require("fs");
const gost = require("gost89");

const args = process.argv.slice(2);
let bench = 0;
if (args[0] === "--bench") {
  bench = parseInt(args[1], 10);
  args.splice(0, 2);
}
const hash = gost.compat.algos().hash;
for (const name of args) {
  console.log(Buffer.from(hash(fs.readFileSync(name))).toString("hex"));
}
if (bench > 0) {
  const data = fs.readFileSync(args[0]);
  let best = Infinity;
  for (let i = 0; i < bench; i++) {
    const t = process.hrtime.bigint();
    hash(data);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  console.log((data.length / 1e6 / best).toFixed(2));
}
